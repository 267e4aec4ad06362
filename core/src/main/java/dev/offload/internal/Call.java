package dev.offload.internal;

import dev.offload.Codec;
import dev.offload.Limiter;
import dev.offload.internal.process.ProcessWorker;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FunctionId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/** One call's state. Mutable fields are guarded by the owning {@link ContextCore}'s lock. */
final class Call {
    final long id;
    /** The request's frame type: CALL, SLOT_CALL or SLOT_RELEASE. */
    final byte type;
    final FunctionId fn;
    final FrameBuffer request;
    final Codec codec;
    final boolean killOnCancel;
    final Limiter limiter;
    final ClassLoader loader;
    final CallFuture<Object> future = new CallFuture<>(this);
    final CompletableFuture<Void> settled = new CompletableFuture<>();
    /** Completes when the request has been handed to a worker (after any wait for a permit or a worker start). */
    final CompletableFuture<Void> started = new CompletableFuture<>();
    private final AtomicBoolean permitReleased = new AtomicBoolean();

    final boolean inlineDelivery;
    /** Its Flight Recorder event, when a recording wants calls. */
    final Object event = Telemetry.callSubmitted();
    final long submitNanos = System.nanoTime();
    /** When the request was sent (0 until then), the worker that got it, and the reply's payload size. */
    volatile long sentNanos;
    volatile long pid;
    volatile int replyBytes;
    /** The slot this call must run in (a stateful map), or null for any worker. */
    final ContextCore.Lease lease;
    volatile CompletableFuture<Void> permit;
    /** The worker running this call, while it runs. */
    ProcessWorker worker;
    /** Writing the request failed: the worker died without running the call. */
    volatile boolean writeFailed;
    /** Times the call was sent again after a failed write (at most once). */
    int retries;
    /**
     * Run by the future just before it is completed from outside (see {@link CallFuture}), with what completes it:
     * kills the call's worker before the future's dependents run. Set by the context.
     */
    volatile java.util.function.BiConsumer<Call, String> beforeOutsideCompletion;
    /** Handed a worker (set under the context's lock, once): from then on it may run. */
    volatile boolean assigned;
    /** Abandoned before it was handed a worker: it did not run, and never will (set under the lock, in abandon). */
    volatile boolean neverRan;
    /** Its worker was killed because its future is being completed from outside, which completes it. */
    volatile boolean completingFromOutside;
    /** For a call its caller abandoned: how its worker ended, once it has (null if its reply came instead). */
    volatile String workerEnd;
    /** We complete the future ourselves from here on (so its completion is not an abandonment). */
    volatile boolean delivering;
    /**
     * Whether the statistics have this call's outcome already: counted before its reply completes the future, or
     * when its future completed otherwise. Claimed once ({@link #claimCount}), so a reply racing a cancel counts once.
     */
    private final AtomicBoolean counted = new AtomicBoolean();

    /** The caller blocks for the reply and would rather read it itself ({@link ContextCore#awaitReply}). */
    final boolean callerReads;
    private static final int UNDECIDED = 0;
    private static final int CALLER = 1;
    private static final int BACKGROUND = 2;
    private final java.util.concurrent.atomic.AtomicInteger reading = new java.util.concurrent.atomic.AtomicInteger();
    /** The worker whose reply the caller reads, once {@link #claimForCaller} succeeded. */
    volatile ProcessWorker readBy;
    /** Its reply has been read (by whichever thread was reading the worker's output). */
    volatile boolean answered;
    /** Counted among the asynchronous calls waiting in this JVM ({@link ContextCore}'s {@code ASYNC_CALLS}). */
    private final AtomicBoolean countedWaiting;

    Call(long id, byte type, FunctionId fn, FrameBuffer request, Codec codec, boolean killOnCancel, Limiter limiter,
            ClassLoader loader, boolean inlineDelivery, ContextCore.Lease lease, boolean callerReads) {
        this.countedWaiting = callerReads ? null : new AtomicBoolean(true);
        this.inlineDelivery = inlineDelivery;
        this.callerReads = callerReads;
        this.lease = lease;
        this.id = id;
        this.type = type;
        this.fn = fn;
        this.request = request;
        this.codec = codec;
        this.killOnCancel = killOnCancel;
        this.limiter = limiter;
        this.loader = loader;
    }

    /** Gives the permit back (once). */
    void releasePermit() {
        if (permitReleased.compareAndSet(false, true)) {
            limiter.release();
        }
    }

    /** The request was sent to {@code w}: the caller reads the reply, unless it has given up waiting. */
    boolean claimForCaller(ProcessWorker w) {
        readBy = w;
        return reading.compareAndSet(UNDECIDED, CALLER);
    }

    /** The caller leaves without reading: true unless it already has a reply to read. */
    boolean withdrawCaller() {
        return reading.compareAndSet(UNDECIDED, BACKGROUND) || reading.get() == BACKGROUND;
    }

    void fail(Throwable t) {
        delivering = true;
        future.completeExceptionally(t);
    }

    /** True once: whoever gets it counts the call's outcome in the statistics. */
    boolean claimCount() {
        return !counted.get() && counted.compareAndSet(false, true);
    }

    /** True once, for an asynchronous call that stops waiting: then it is no longer counted. */
    boolean stopsWaiting() {
        return countedWaiting != null && countedWaiting.get() && countedWaiting.compareAndSet(true, false);
    }
}
