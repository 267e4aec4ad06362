package dev.offload;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a stateful map's items on a fixed set of slots, one item at a time per slot: an item waits in a queue until a
 * slot is free (its previous item has settled, not merely been cancelled), so a slot's state is never used by two
 * items at once. The backends supply the slots.
 */
final class SlotScheduler<T, R> implements MapBackend.Runner<T, R> {
    /** One slot of a backend: runs items with its state, and releases the state at the end. */
    interface Slot<T, R> {
        /** Starts one item. */
        Running<R> run(T item);

        /** Releases the slot's state (closing it where it lives); completes when done. */
        CompletableFuture<Void> close();
    }

    /** A started item: its result, when the clock of a timeout starts, and when the slot may take the next item. */
    static final class Running<R> {
        final CompletableFuture<R> result;
        final CompletableFuture<?> started;
        final CompletableFuture<?> settled;

        Running(CompletableFuture<R> result, CompletableFuture<?> started, CompletableFuture<?> settled) {
            this.result = result;
            this.started = started;
            this.settled = settled;
        }
    }

    private static final class Pending<T, R> {
        final T item;
        final CompletableFuture<R> result = new CompletableFuture<>();

        Pending(T item) {
            this.item = item;
        }
    }

    private final List<Slot<T, R>> slots;
    private final Duration taskTimeout;
    private final Duration closeTimeout;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final ArrayDeque<Pending<T, R>> queue = new ArrayDeque<>();
    private boolean closed;

    SlotScheduler(List<Slot<T, R>> slots, Duration taskTimeout, Duration closeTimeout) {
        this.slots = slots;
        this.taskTimeout = taskTimeout;
        this.closeTimeout = closeTimeout;
        for (int i = 0; i < slots.size(); i++) {
            free.addLast(i);
        }
    }

    @Override
    public CompletableFuture<R> start(T item) {
        Pending<T, R> p = new Pending<>(item);
        synchronized (this) {
            queue.addLast(p);
        }
        pump();
        return p.result;
    }

    /** Gives queued items to free slots (lowest slot first, so a short map uses slot 0). */
    private void pump() {
        for (;;) {
            Pending<T, R> p;
            int slot;
            synchronized (this) {
                while (!queue.isEmpty() && queue.peekFirst().result.isDone()) {
                    queue.pollFirst(); // cancelled while it waited
                }
                if (closed || queue.isEmpty() || free.isEmpty()) {
                    return;
                }
                p = queue.pollFirst();
                slot = lowestFree();
            }
            runOn(slot, p);
        }
    }

    private int lowestFree() {
        int best = Integer.MAX_VALUE;
        for (int i : free) {
            best = Math.min(best, i);
        }
        free.remove(best);
        return best;
    }

    private void runOn(int slot, Pending<T, R> p) {
        Running<R> r;
        try {
            r = slots.get(slot).run(p.item);
        } catch (RuntimeException e) {
            p.result.completeExceptionally(e); // e.g. an item the codec cannot encode
            freeSlot(slot);
            return;
        }
        if (taskTimeout != null) { // the clock starts when the slot has the item
            r.started.thenRun(() -> r.result.orTimeout(taskTimeout.toNanos(), TimeUnit.NANOSECONDS));
        }
        p.result.whenComplete((v, e) -> {
            if (!r.result.isDone()) {
                r.result.cancel(true); // the map cancelled the item: stop it (a kill, or an interrupt)
            }
        });
        r.result.whenComplete((v, e) -> {
            if (e == null) {
                p.result.complete(v);
            } else {
                // Unwrapped, except a function's CancellationException (see ContextCore.thrownByTheFunction).
                p.result.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                        && !(e.getCause() instanceof java.util.concurrent.CancellationException) ? e.getCause() : e);
            }
        });
        r.settled.whenComplete((v, e) -> freeSlot(slot));
    }

    private void freeSlot(int slot) {
        synchronized (this) {
            free.addLast(slot);
        }
        pump();
    }

    @Override
    public int defaultWindow() {
        return 2 * slots.size();
    }

    /** Releases every slot's state; throws what the first failing close threw. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Pending<T, R> p : queue) {
                p.result.cancel(false);
            }
            queue.clear();
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Slot<T, R> s : slots) {
            closing.add(s.close());
        }
        RuntimeException failure = null;
        for (int i = 0; i < closing.size(); i++) {
            try {
                closing.get(i).get(closeTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                failure = firstOrSuppressed(failure, new IllegalStateException("closing the state of slot " + i
                        + " failed: " + e.getCause(), e.getCause()));
            } catch (TimeoutException e) {
                failure = firstOrSuppressed(failure, new IllegalStateException("closing the state of slot " + i
                        + " did not finish within " + closeTimeout));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The first slot's failure is thrown; the others' are suppressed in it. */
    private static RuntimeException firstOrSuppressed(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
