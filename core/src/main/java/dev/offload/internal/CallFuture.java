package dev.offload.internal;

import java.util.concurrent.CompletableFuture;

/**
 * The future a caller gets for one call. Completing it from outside (cancel, {@code orTimeout},
 * {@code completeExceptionally}) abandons the call: with kill-on-cancel its worker is killed.
 */
public final class CallFuture<R> extends CompletableFuture<R> {
    final Call call;

    CallFuture(Call call) {
        this.call = call;
    }

    /** Completes once the call has let go of its worker and its limiter permit. */
    public CompletableFuture<Void> settled() {
        return call.settled;
    }

    /**
     * Completes when the call has been handed to its worker: a per-task timeout starts here, so waiting for a
     * limiter permit or a worker start does not count.
     */
    public CompletableFuture<Void> started() {
        return call.started;
    }

    /**
     * Limits the call to {@code nanos} from when a worker has it (not while it waits for a permit or a worker): then
     * it completes with a {@code TimeoutException}, which abandons the call as a cancel does (killing its worker with
     * killOnCancel).
     */
    public void timeLimit(long nanos) {
        started().thenRun(() -> {
            if (isDone()) {
                return;
            }
            java.util.concurrent.ScheduledFuture<?> timer = Timers.schedule(() -> completeExceptionally(
                    new java.util.concurrent.TimeoutException(functionName() + " ran past its time limit of "
                            + java.time.Duration.ofNanos(nanos) + (killOnCancel() ? "; its worker was killed"
                            : "; its worker was left to finish it (killOnCancel is off)"))), nanos);
            whenComplete((r, e) -> timer.cancel(false)); // no timer outlives its call
        });
    }

    /**
     * For a call abandoned while it ran (cancelled, interrupted, timed out), once it has settled: what became of it,
     * as a caller's message puts it. Null if it never reached a worker.
     */
    public String abandonedFate() {
        if (call.answered) {
            return "it ran to completion and its result was dropped";
        }
        return call.workerEnd;
    }

    /**
     * Whether the call was abandoned (cancelled, interrupted, timed out) before it was handed a worker: then it did not
     * run and never will. Decided as its future completed from outside.
     */
    public boolean neverRan() {
        return call.neverRan;
    }

    /** Whether cancelling kills the worker. */
    public boolean killOnCancel() {
        return call.killOnCancel;
    }

    /** The function, for messages. */
    public String functionName() {
        return call.fn.toString();
    }

    // Completing the future from outside abandons the call. Its worker is killed before the completion (the
    // context's own completion hook, registered first, would run after every dependent the caller added: a
    // CompletableFuture runs the last one added first), so the caller's callbacks already see the kill under way.

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return completedFromOutside("was cancelled", () -> super.cancel(mayInterruptIfRunning));
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        return completedFromOutside("did not complete in time", () -> super.completeExceptionally(ex));
    }

    @Override
    public boolean complete(R value) {
        return completedFromOutside("was completed from outside", () -> super.complete(value));
    }

    /** Runs the context's hook for an outside completion ({@code what}: how), then {@code completion}, whatever. */
    private boolean completedFromOutside(String what, java.util.function.BooleanSupplier completion) {
        boolean completed;
        try {
            beforeOutsideCompletion(what);
        } finally {
            completed = completion.getAsBoolean();
        }
        return completed;
    }

    private void beforeOutsideCompletion(String what) {
        java.util.function.BiConsumer<Call, String> hook = call.beforeOutsideCompletion;
        if (hook != null && !call.delivering && !isDone()) {
            hook.accept(call, what);
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
