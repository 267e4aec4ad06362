package dev.offload.internal;

import dev.offload.BrokenWorkerException;
import dev.offload.CallOptions;
import dev.offload.Codec;
import dev.offload.Limiter;
import dev.offload.WorkerConfig;
import dev.offload.internal.codec.JavaCodec;
import dev.offload.internal.process.ChildJvmLauncher;
import dev.offload.internal.process.Launcher;
import dev.offload.internal.process.ProcessWorker;
import dev.offload.internal.process.WorkerExit;
import dev.offload.internal.protocol.Frame;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FunctionId;
import dev.offload.internal.protocol.PayloadInput;
import dev.offload.internal.protocol.Protocol;
import dev.offload.internal.protocol.RemoteThrowable;
import dev.offload.internal.protocol.Wire;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine behind a {@code WorkerContext}: a LIFO cache of worker processes (a thread's last worker first), the
 * calls running on them, idle timeouts and shutdown. Front ends (the Java facade, the Kotlin module) submit calls here.
 */
public final class ContextCore implements ProcessWorker.Listener {
    private static final AtomicLong CALL_IDS = new AtomicLong();
    private static final AtomicInteger STARTER_IDS = new AtomicInteger();
    /** The pid of the worker each thread's last call took from the cache (0: none yet); see {@link #takeIdle}. */
    private static final ThreadLocal<long[]> LAST_WORKER = ThreadLocal.withInitial(() -> new long[1]);
    /** Completes futures of asynchronous callers, so their callbacks never run on a worker's reader thread. */
    private static final ExecutorService DELIVERY = new java.util.concurrent.ThreadPoolExecutor(0,
            Integer.MAX_VALUE, 5, TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "offload-deliver-" + STARTER_IDS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private final WorkerConfig config;
    private final Launcher launcher;
    private final JavaCodec javaCodec;
    private final ExecutorService starter;
    private final Telemetry telemetry = new Telemetry();

    private final Object lock = new Object();
    /** Idle workers, most recently used first. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    /** Every worker process that has not yet been reaped. */
    private final Set<ProcessWorker> live = new HashSet<>();
    /** The default context's engine, once {@code Offload.defaultContext()} has opened one. */
    private static volatile ContextCore defaultCore;
    private final Map<ProcessWorker, Call> busy = new HashMap<>();
    private final Set<Call> queued = new HashSet<>();
    /** Workers being killed because their call was cancelled: never cached again, replies ignored. */
    private final Set<ProcessWorker> doomed = new HashSet<>();
    private int running;
    /** A prune of idle workers is scheduled (guarded by the lock). */
    private boolean pruneScheduled;
    /**
     * Exits being reported (out of {@code live}, their event and log record not yet written); close() waits for them,
     * so that a recording stopped after close() has every worker's exit.
     */
    private int exitsReporting;
    /** Worker starts under way (not yet in {@code live}); close() waits for them. */
    private int starting;
    /**
     * Prestarts under way whose worker no call has claimed yet. A call that finds no idle worker claims one instead of
     * starting a worker of its own: it waits in {@link #awaitingStart} and gets the next prestarted worker that is up.
     */
    private int unclaimedStarts;
    /** How many of the unclaimed starts are of workers nobody wants any more (see {@link #unwantEarlyStart}). */
    private int unwantedStarts;
    /** Calls that claimed a prestart under way, in order of arrival (see {@link #unclaimedStarts}). */
    private final ArrayDeque<Call> awaitingStart = new ArrayDeque<>();
    private boolean closing;
    private CompletableFuture<Void> closed;
    /** Workers pinned to a slot of a stateful map: never cached while pinned. */
    private final Map<ProcessWorker, Lease> leased = new HashMap<>();
    private final Set<ProcessWorker> forcedKills = new HashSet<>();
    private final List<WorkerExit> closeFailures = new ArrayList<>();
    /** Calls waiting for a worker started for them (from dispatch, or a prestart they claimed, to handOver). */
    private final Set<Call> startingFor = new HashSet<>();
    /** Whether an interrupt of the thread closing the context ended its wait for running calls (for messages). */
    private volatile boolean closeInterrupted;

    private static final class Idle {
        final ProcessWorker worker;
        final long since;

        Idle(ProcessWorker worker, long since) {
            this.worker = worker;
            this.since = since;
        }
    }

    /**
     * One slot of a stateful map: every call submitted with it runs in the same worker, which holds the slot's state
     * and stays out of the cache until {@link #release}. If that worker dies, the next call starts a replacement
     * (whose state is created again). One call at a time per lease.
     */
    public static final class Lease {
        final int slot;
        /** The pinned worker, or null before the first call and after it died. Guarded by the core's lock. */
        ProcessWorker worker;
        boolean released;

        public Lease(int slot) {
            this.slot = slot;
        }
    }

    private static System.Logger logger() {
        return Telemetry.Log.LOG;
    }

    public ContextCore(WorkerConfig config) {
        Telemetry.warmUp();
        this.config = config;
        this.launcher = new ChildJvmLauncher(config);
        this.javaCodec = new JavaCodec(config.allowSerializable());
        this.starter = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS,
                new java.util.concurrent.SynchronousQueue<>(), r -> {
                    Thread t = new Thread(r, "offload-start-" + STARTER_IDS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        openSequence = OPENED.incrementAndGet();
        ContextRegistry.register(this);
        if (config.prestart() > 0) {
            int need = reserveStarts(config.prestart()); // now: a call right after open() claims one of these
            starter.execute(() -> {
                try {
                    launchPrestarts(need);
                } catch (RuntimeException e) {
                    if (!isClosed()) { // a close cuts short the starts that no call wants: not a failure
                        logger().log(System.Logger.Level.WARNING, "prestarting workers failed", e);
                    }
                }
            });
        }
    }

    public WorkerConfig config() {
        return config;
    }

    // ---------------------------------------------------------------------------------------------- calls

    /**
     * Submits a call of the Java method reference {@code fn}.
     *
     * @throws IllegalArgumentException if {@code fn} is not addressable or an argument cannot be encoded
     * @throws IllegalStateException if the context is closed
     */
    public CallFuture<Object> submit(Object fn, Object[] args, CallOptions options, boolean inlineDelivery) {
        return submit(fn, args, options, inlineDelivery, false);
    }

    /**
     * Like {@link #submit(Object, Object[], CallOptions, boolean)}; with {@code callerReads} the caller must call
     * {@link #awaitReply} next, which reads the reply on its thread where the worker allows it.
     */
    public CallFuture<Object> submit(Object fn, Object[] args, CallOptions options, boolean inlineDelivery,
            boolean callerReads) {
        FunctionId id = Functions.of(fn);
        String refusal = id.refusal(args);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        ClassLoader loader = fn.getClass().getClassLoader();
        Codec codec = codecOf(options);
        FrameBuffer request = encodeCall(id, codec, args, callerReads);
        ClassLoader l = loader == null ? ClassLoader.getSystemClassLoader() : loader;
        if (!callerReads) {
            return submitRequest(Protocol.CALL, id, request, codec, l, options, inlineDelivery, null, false);
        }
        countCaller(); // until awaitReply returns
        try {
            return submitRequest(Protocol.CALL, id, request, codec, l, options, inlineDelivery, null, true);
        } catch (RuntimeException | Error e) {
            SYNC_CALLERS.decrementAndGet();
            throw e;
        }
    }

    /** Callers of this JVM waiting for a call: threads inside a blocking call (from submit to the end of awaitReply). */
    private static final java.util.concurrent.atomic.AtomicInteger SYNC_CALLERS =
            new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Calls that may spin at once (blocking callers, or reader threads for asynchronous calls): half the processors,
     * the rest being for the workers they wait for. With two processors, one: while a second call waits, whose
     * worker also needs a processor, nobody spins.
     */
    private static final int MAX_SPINNING = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    /**
     * When more waiting calls than {@link #MAX_SPINNING} were last seen at once. Between two calls of a busy
     * thread the count drops for a moment; remembering the crowd for a while keeps its neighbour from spinning then.
     */
    private static volatile long crowdedAt = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);
    private static final long CROWD_MEMORY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Asynchronous requests of this JVM waiting for their replies (from submit until the reply comes or the future
     * completes otherwise): a coroutine's call is one. Each keeps a worker busy, so they count towards the crowd as
     * blocking callers do.
     */
    private static final java.util.concurrent.atomic.AtomicInteger ASYNC_CALLS =
            new java.util.concurrent.atomic.AtomicInteger();

    /** Whether the call being sent may spin: few enough calls wait in this JVM, and have for a while. */
    private static boolean alone() {
        return SYNC_CALLERS.get() + ASYNC_CALLS.get() <= MAX_SPINNING
                && System.nanoTime() - crowdedAt > CROWD_MEMORY_NANOS;
    }

    /**
     * For a call submitted with {@code callerReads}: waits until it has been sent and, if this thread is to read
     * its reply, reads and delivers it. Interrupting the thread cancels the call as cancelling its future does
     * (a read from a pipe does not notice interrupts, so {@link InterruptWatch} does); the call's future is then
     * done, or completes once the call has let go of its worker.
     *
     * @throws InterruptedException if the thread was interrupted (the future may hold a result all the same)
     */
    public void awaitReply(CallFuture<?> f) throws InterruptedException {
        Call call = f.call;
        if (!call.callerReads) {
            return;
        }
        try {
            readOwnReply(f, call);
        } finally {
            SYNC_CALLERS.decrementAndGet();
        }
    }

    private void readOwnReply(CallFuture<?> f, Call call) throws InterruptedException {
        boolean interrupted = false;
        if (!call.started.isDone() && !f.isDone()) {
            try {
                CompletableFuture.anyOf(call.started, f).get();
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
                // failed or cancelled before it was sent
            }
        }
        if (call.withdrawCaller()) { // not sent (yet): if it is, the worker's reader thread reads the reply
            if (interrupted) {
                throw new InterruptedException();
            }
            return;
        }
        // The request is with the worker and the reply is ours to read, interrupted or not.
        if (interrupted) {
            f.cancel(true);
        }
        ProcessWorker w = call.readBy;
        InterruptWatch.Watch watch = interrupted ? null : InterruptWatch.watch(f);
        Frame reply;
        try {
            reply = w.readReply(() -> call.answered, alone());
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
        if (reply != null && reply != ProcessWorker.ANSWERED) {
            onReply(w, reply);
        }
        if (interrupted || Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /**
     * Checks that {@code fn} can run in a worker, without running it.
     *
     * @throws IllegalArgumentException saying what to write instead
     */
    public void submitCheck(Object fn) {
        Functions.of(fn);
    }

    /**
     * Submits a call of a function already addressed (the Kotlin front end reads its own ids).
     *
     * @param inlineDelivery complete the future on the worker's reader thread: only for callers that run no code
     *     of theirs on completion (a thread blocked in {@code get}, a coroutine resumed through its dispatcher).
     *     Otherwise a callback could block the reader, or wait for a call that needs that very worker.
     */
    public CallFuture<Object> submit(FunctionId id, ClassLoader loader, Object[] args, CallOptions options,
            boolean inlineDelivery) {
        return submit(id, loader, args, options, inlineDelivery, false);
    }

    /**
     * Like {@link #submit(FunctionId, ClassLoader, Object[], CallOptions, boolean)}.
     *
     * @param callerWaits the caller waits for the result without touching the arguments: a large byte array may be
     *     sent from its own array instead of a copy
     */
    public CallFuture<Object> submit(FunctionId id, ClassLoader loader, Object[] args, CallOptions options,
            boolean inlineDelivery, boolean callerWaits) {
        Codec codec = codecOf(options);
        FrameBuffer request = encodeCall(id, codec, args, callerWaits);
        return submitRequest(Protocol.CALL, id, request, codec, loader, options, inlineDelivery, null, false);
    }

    /**
     * Like {@link #submit(FunctionId, ClassLoader, Object[], CallOptions, boolean, boolean)}; with {@code callerPolls}
     * the caller (a coroutine, which may not block) polls for its reply with {@link #pollReply} and then reads it
     * with {@link #readPolledReply}, or gives it to the worker's reader thread with {@link #stopPolling}: exactly one
     * of the two.
     */
    public CallFuture<Object> submit(FunctionId id, ClassLoader loader, Object[] args, CallOptions options,
            boolean inlineDelivery, boolean callerWaits, boolean callerPolls) {
        if (!callerPolls) {
            return submit(id, loader, args, options, inlineDelivery, callerWaits);
        }
        Codec codec = codecOf(options);
        FrameBuffer request = encodeCall(id, codec, args, callerWaits);
        countCaller(); // until readPolledReply or stopPolling
        try {
            return submitRequest(Protocol.CALL, id, request, codec, loader, options, inlineDelivery, null, true);
        } catch (RuntimeException | Error e) {
            SYNC_CALLERS.decrementAndGet();
            throw e;
        }
    }

    /** Marks this engine as the default context's (see {@link #defaultContextWorkerPids}). */
    public void markDefault() {
        defaultCore = this;
    }

    /** The pids of this context's live worker processes (starting, idle, busy or being killed). */
    public Set<Long> workerPids() {
        synchronized (lock) {
            Set<Long> pids = new HashSet<>();
            for (ProcessWorker w : live) {
                pids.add(w.pid());
            }
            for (ProcessWorker w : doomed) {
                pids.add(w.pid());
            }
            return pids;
        }
    }

    /**
     * The pids of the default context's live workers (none if it was never opened): the test extensions' leak
     * checks leave them alone, since that context outlives every test by design.
     */
    public static Set<Long> defaultContextWorkerPids() {
        ContextCore c = defaultCore;
        return c == null || c.isClosed() ? Set.of() : c.workerPids();
    }

    private static final java.util.concurrent.atomic.AtomicLong OPENED = new java.util.concurrent.atomic.AtomicLong();
    /** This context's place in the order contexts were opened in (see {@link #contextsOpened()}). */
    private final long openSequence;

    /** How many contexts this JVM has opened so far: a mark for {@link #workerPidsOfContextsOpenedBy}. */
    public static long contextsOpened() {
        return OPENED.get();
    }

    /**
     * The pids of the live workers of the contexts still open that were among the first {@code mark} opened (see
     * {@link #contextsOpened()}): the test extensions leave alone the workers of a context a test class shares, which
     * was open before the test began and stays open after it.
     */
    public static Set<Long> workerPidsOfContextsOpenedBy(long mark) {
        Set<Long> pids = new HashSet<>();
        for (ContextCore c : ContextRegistry.open()) {
            if (c.openSequence <= mark && !c.isClosed()) {
                pids.addAll(c.workerPids());
            }
        }
        return pids;
    }

    /** {@link #pollReply}: the reply (or the call's end) is there; {@link #readPolledReply} reads it at once. */
    public static final int POLL_READY = 1;
    /** {@link #pollReply}: the call is with its worker, and no reply yet. */
    public static final int POLL_EMPTY = 0;
    /** {@link #pollReply}: the worker's reader thread is still reading (it has been asked to stop). */
    public static final int POLL_BUSY = -1;
    /** {@link #pollReply}: the call has not been sent yet (it waits for a permit or a worker). */
    public static final int POLL_UNSENT = -2;

    /** For a polled call: where its reply is, without waiting (one of the {@code POLL_} constants). */
    public int pollReply(CallFuture<?> f) {
        Call call = f.call;
        if (call.answered || f.isDone()) {
            return POLL_READY;
        }
        if (!call.started.isDone()) {
            return POLL_UNSENT;
        }
        ProcessWorker w = call.readBy;
        // No reader: it went to a worker whose output only its reader thread reads; readPolledReply leaves it there.
        return w == null ? POLL_READY : w.replyWaiting();
    }

    /**
     * How long a coroutine's call may poll for its reply before it leaves it to the reader thread, or 0 not to poll
     * now. Zero with {@code spinWait(ZERO)}; a fixed {@code spinWait} polls that long; otherwise 50 µs, except
     * after polls that ended without their reply: then the next calls do not poll, 1, 2, 4 and up to 64 of them as
     * the misses go on, so calls that take longer than a poll cost almost no polling.
     */
    public long pollNanos() {
        if (config.spinWait().isZero() && !config.adaptiveSpin()) {
            return 0;
        }
        if (pollSkips > 0) {
            pollSkips--;
            return 0;
        }
        return config.adaptiveSpin() ? COROUTINE_POLL_NANOS : config.spinWait().toNanos();
    }

    private static final long COROUTINE_POLL_NANOS = 50_000;
    private static final int MAX_POLL_BACKOFF = 64;
    /** Calls that skip polling after the last miss, and how many are left (a heuristic: races cost one choice). */
    private volatile int pollBackoff;
    private volatile int pollSkips;

    /** For a polled call that {@link #pollReply} found ready: reads and delivers its reply, unless someone else did. */
    public void readPolledReply(CallFuture<?> f) {
        if (pollBackoff != 0) {
            pollBackoff = 0; // polling pays again
        }
        try {
            awaitReply(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // not ours to swallow; the call itself is settled or delivered
        }
    }

    /**
     * For a polled call: the caller stops polling and the worker's reader thread reads the reply instead.
     * {@code missed}: the poll ended with the pipe its own and empty (the call takes longer than a poll).
     */
    public void stopPolling(CallFuture<?> f, boolean missed) {
        if (missed) {
            int b = pollBackoff;
            b = b == 0 ? 1 : Math.min(2 * b, MAX_POLL_BACKOFF);
            pollBackoff = b;
            pollSkips = b;
        }
        Call call = f.call;
        try {
            if (!call.withdrawCaller()) { // sent, and its reply left to the caller: hand it to the reader thread
                call.readBy.readReplyInBackground(() -> call.answered);
            }
        } finally {
            SYNC_CALLERS.decrementAndGet();
        }
    }

    private static void countCaller() {
        if (SYNC_CALLERS.incrementAndGet() + ASYNC_CALLS.get() > MAX_SPINNING) {
            markCrowded();
        }
    }

    private static void stopsWaiting(Call call) {
        if (call.stopsWaiting()) {
            ASYNC_CALLS.decrementAndGet();
        }
    }

    private static void countAsyncCall() {
        if (ASYNC_CALLS.incrementAndGet() + SYNC_CALLERS.get() > MAX_SPINNING) {
            markCrowded();
        }
    }

    private static void markCrowded() {
        long now = System.nanoTime();
        if (now - crowdedAt > CROWD_REFRESH_NANOS) { // written once a millisecond at most: callers share it
            crowdedAt = now;
        }
    }

    private static final long CROWD_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** What a batch's future holds for an item that failed: its exception. */
    public static final class ItemFailure {
        public final Throwable error;

        ItemFailure(Throwable error) {
            this.error = error;
        }
    }

    /**
     * Submits {@code fn} applied to each of {@code items} as one request: the worker runs them in turn. The future's
     * value is an {@code Object[]} with each sent item's result, or an {@link ItemFailure} for an item that threw; a
     * failure of the whole batch (its worker crashed or was killed) completes the future exceptionally.
     *
     * @param refused filled in for each item whose argument cannot be encoded; those items are not sent, and the
     *     future's array holds only the sent ones, in order
     * @return the batch's future, or null if no item could be encoded
     */
    public CallFuture<Object> submitBatch(Object fn, List<?> items, CallOptions options, Throwable[] refused) {
        return submitBatch(Functions.of(fn), fn.getClass().getClassLoader(), items, options, true, refused);
    }

    /**
     * Like {@link #submitBatch(Object, List, CallOptions, Throwable[])} for a function already addressed (a Kotlin
     * one), whose class loader is {@code loader}.
     *
     * @param inlineDelivery complete the future on the thread that read the reply
     */
    public CallFuture<Object> submitBatch(FunctionId id, ClassLoader loader, List<?> items, CallOptions options,
            boolean inlineDelivery, Throwable[] refused) {
        Codec codec = codecOf(options);
        FrameBuffer request = new FrameBuffer(config.maxFrameSize());
        FrameBuffer item = new FrameBuffer(config.maxFrameSize(), 256);
        int sent = 0;
        try {
            DataOutputStream out = new DataOutputStream(request);
            writeHead(out, id, codec);
            int countAt = request.payloadLength();
            out.writeInt(0); // the count, set below
            for (int i = 0; i < items.size(); i++) {
                item.reset();
                Object[] args = {items.get(i)};
                String refusal = id.refusal(args);
                if (refusal != null) {
                    refused[i] = new IllegalArgumentException(refusal);
                    continue;
                }
                try {
                    codec.writeArguments(args, item);
                } catch (IOException | RuntimeException e) {
                    refused[i] = new IllegalArgumentException("cannot encode the arguments of " + id + " with "
                            + codecName(codec) + ": " + e.getMessage() + tooLargeHint(e), e);
                    continue;
                }
                out.writeInt(item.payloadLength());
                item.writeTo(out);
                sent++;
            }
            out.flush();
            request.setInt(countAt, sent);
        } catch (IOException e) {
            throw new IllegalArgumentException("a batch of " + items.size() + " items of " + id + " is too large to "
                    + "send together (" + e.getMessage() + "); lower MapOptions batchSize, or raise "
                    + "WorkerConfig.builder().maxFrameSize(...)", e);
        }
        if (sent == 0) {
            return null;
        }
        return submitRequest(Protocol.BATCH, id, request, codec, loader == null ? ClassLoader.getSystemClassLoader()
                : loader, options, inlineDelivery, null, false);
    }

    /**
     * Submits one item of a stateful map, to run in the lease's worker: the worker creates the slot's state with
     * {@code init(slot[, slotArgument])} on first use (again in a replacement worker), then returns
     * {@code apply(state, item)}. The state is closed by {@link #release}, or when the worker exits cleanly.
     *
     * @param mapKey identifies the map's state in the worker
     * @param close may be null
     */
    public CallFuture<Object> submitSlot(Lease lease, long mapKey, FunctionId init, boolean initTakesArgument,
            FunctionId apply, FunctionId close, ClassLoader loader, Object slotArgument, Object item,
            CallOptions options, boolean inlineDelivery) {
        Codec codec = codecOf(options);
        FrameBuffer b = new FrameBuffer(config.maxFrameSize());
        try {
            DataOutputStream out = new DataOutputStream(b);
            out.writeLong(mapKey);
            out.writeInt(lease.slot);
            init.writeTo(out);
            out.writeBoolean(initTakesArgument);
            apply.writeTo(out);
            writeOptionalId(out, close);
            Wire.writeString(out, codec.workerClassName());
            out.flush();
            codec.writeArguments(initTakesArgument ? new Object[] {slotArgument, item} : new Object[] {item}, b);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot encode " + (initTakesArgument ? "the slot argument or " : "")
                    + "the item for " + apply + " with " + codecName(codec) + ": " + e.getMessage(), e);
        }
        return submitRequest(Protocol.SLOT_CALL, apply, b, codec, loader, options, inlineDelivery, lease, false);
    }

    /**
     * Ends a lease: closes the map's state in its worker (if the worker is idle and alive; a running one is left to
     * finish or be killed), then returns the worker to the cache. A close that runs past the grace period kills the
     * worker. The future completes when done, exceptionally with what close threw.
     */
    public CompletableFuture<Void> release(Lease lease, long mapKey, FunctionId apply) {
        ProcessWorker w;
        synchronized (lock) {
            w = lease.worker;
            if (w == null || lease.released || closing || !live.contains(w) || doomed.contains(w)
                    || busy.containsKey(w)) {
                lease.released = true;
                return CompletableFuture.completedFuture(null);
            }
        }
        FrameBuffer b = new FrameBuffer(config.maxFrameSize());
        try {
            DataOutputStream out = new DataOutputStream(b);
            out.writeLong(mapKey);
            Wire.writeString(out, javaCodec.workerClassName());
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        CallOptions options = CallOptions.builder().limiter(Limiter.create(1)).killOnCancel(true).build();
        CallFuture<Object> f;
        try {
            f = submitRequest(Protocol.SLOT_RELEASE, apply, b, javaCodec,
                    ClassLoader.getSystemClassLoader(), options, true, lease, false);
        } catch (IllegalStateException closed) {
            return CompletableFuture.completedFuture(null); // the context closed: EOF closes the state
        }
        f.orTimeout(config.gracePeriod().toNanos(), TimeUnit.NANOSECONDS); // timing out kills the worker
        CompletableFuture<Void> done = new CompletableFuture<>();
        f.settled().whenComplete((v, e) -> {
            synchronized (lock) {
                lease.released = true;
                if (lease.worker == w) {
                    lease.worker = null;
                    leased.remove(w);
                    if (!closing && !busy.containsKey(w)) {
                        pushIdle(w); // ignored if it died or was doomed meanwhile
                    } else if (closing) {
                        w.closeInput();
                    }
                }
            }
            f.whenComplete((r, t) -> {
                if (t == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(t instanceof java.util.concurrent.TimeoutException
                            ? new IllegalStateException("closing the state of slot " + lease.slot + " took longer"
                                    + " than the grace period (" + config.gracePeriod() + "); its worker was killed", t)
                            : t);
                }
            });
        });
        return done;
    }

    private Codec codecOf(CallOptions options) {
        return options.codec() != null ? options.codec() : javaCodec;
    }

    private static final CompletableFuture<Void> GRANTED = CompletableFuture.completedFuture(null);

    private CallFuture<Object> submitRequest(byte type, FunctionId id, FrameBuffer request, Codec codec,
            ClassLoader loader, CallOptions options, boolean inlineDelivery, Lease lease, boolean callerReads) {
        Limiter limiter = options.limiter() != null ? options.limiter() : Defaults.limiter();
        Call call = new Call(CALL_IDS.incrementAndGet(), type, id, request, codec, options.killOnCancel(), limiter,
                loader, inlineDelivery, lease, callerReads);
        if (!callerReads) {
            countAsyncCall(); // until its reply comes, or its future completes
        }
        call.beforeOutsideCompletion = killBeforeAbandoning;
        call.future.whenComplete((r, e) -> { // registered first, so it runs after the caller's dependents
            stopsWaiting(call); // unless its reply did
            boolean fromOutside = !call.delivering;
            if (fromOutside) {
                abandon(call);
            }
            if (call.type != Protocol.SLOT_RELEASE && call.claimCount()) {
                // Completed from outside with a value (complete, completeOnTimeout), the call was abandoned as by a
                // cancel: it did not complete, and counts as cancelled.
                telemetry.callDone(call, fromOutside && e == null
                        ? new java.util.concurrent.CancellationException("completed from outside") : e);
            }
        });
        ProcessWorker now = null;
        synchronized (lock) {
            if (closing) {
                stopsWaiting(call); // its future never completes
                throw new ContextClosedException("worker context is closed; cannot run " + id);
            }
            // The usual case, in one go: a permit is free and so is a cached worker. (The limiter's lock is taken
            // inside ours; it never calls out while holding its own.)
            if (lease == null && !idle.isEmpty() && limiter.tryAcquire()) {
                now = takeIdle();
                running++;
                busy.put(now, call);
                call.worker = now;
                call.assigned = true;
                call.permit = GRANTED;
            } else {
                queued.add(call);
            }
        }
        if (now != null) {
            send(call, now);
            return call.future;
        }
        if (limiter.tryAcquire()) { // the usual case: no future to wait on
            call.permit = GRANTED;
            if (call.future.isDone()) {
                call.releasePermit(); // close() failed the call meanwhile
                call.settled.complete(null);
            } else {
                dispatch(call);
            }
            return call.future;
        }
        CompletableFuture<Void> permit = limiter.acquireAsync();
        call.permit = permit;
        if (call.future.isDone()) {
            permit.cancel(false); // close() failed the call before it had a permit request to withdraw
        }
        permit.whenComplete((v, e) -> {
            if (e == null) {
                dispatch(call);
            }
        });
        return call.future;
    }

    /**
     * @param callerWaits the caller waits for the result, so its arguments do not change before they are sent: a
     *     large byte array is sent from the caller's own array. Otherwise it is copied, as the caller may reuse it.
     */
    private FrameBuffer encodeCall(FunctionId id, Codec codec, Object[] args, boolean callerWaits) {
        FrameBuffer b = new FrameBuffer(config.maxFrameSize());
        if (callerWaits) {
            b.allowTail();
        }
        try {
            writeHead(new DataOutputStream(b), id, codec);
            codec.writeArguments(args, b);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot encode the arguments of " + id + " with " + codecName(codec)
                    + ": " + e.getMessage() + tooLargeHint(e), e);
        } catch (StackOverflowError e) {
            // Only the encoder's recursion ran on this stack, and it is unwound now: a bad argument, not a bad JVM.
            throw new IllegalArgumentException("cannot encode the arguments of " + id + " with " + codecName(codec)
                    + ": an object graph nested too deeply to write (StackOverflowError); a worker reads at most 200 "
                    + "levels, so send it flatter, such as a chain's elements in a list or an array", e);
        }
        return b;
    }

    /** What to do about arguments larger than a frame, if that is what {@code e} (or a cause) says. */
    private static String tooLargeHint(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof dev.offload.internal.protocol.FrameTooLargeException) {
                return "; pass less, or raise WorkerConfig.builder().maxFrameSize(...)";
            }
        }
        return "";
    }

    /** The head of a CALL or BATCH: the function, then the codec the worker decodes with. */
    private static void writeHead(DataOutputStream out, FunctionId id, Codec codec) throws IOException {
        id.writeTo(out);
        Wire.writeString(out, codec.workerClassName());
        out.flush();
    }

    private static String codecName(Codec codec) {
        return codec instanceof JavaCodec ? "the default Java codec" : codec.getClass().getName();
    }

    /** The call holds a permit: give it a worker, or release everything if it is no longer wanted. */
    private void dispatch(Call call) {
        ProcessWorker w;
        boolean give = false;
        boolean nothingToClose = false;
        boolean conflict = false;
        synchronized (lock) {
            boolean mine = queued.remove(call);
            if (!mine || call.future.isDone() || closing) {
                give = true;
                w = null;
            } else {
                running++;
                if (call.lease != null) {
                    w = call.lease.worker; // pinned; null: the first call, or its worker died
                    if (w != null && (doomed.contains(w) || !live.contains(w))) {
                        w = null; // being killed (its call was cancelled): a replacement takes the slot
                    }
                    if (w != null && busy.containsKey(w)) {
                        conflict = true; // a front-end bug: one call at a time per slot
                    } else if (w == null && call.type == Protocol.SLOT_RELEASE) {
                        nothingToClose = true; // the slot's worker died after release() looked: its state died too
                    } else if (w == null && !call.lease.released) {
                        Idle i = idle.pollFirst(); // pin a cached worker (it holds no state), else start one
                        w = i == null ? null : i.worker;
                        if (w != null) {
                            call.lease.worker = w;
                            leased.put(w, call.lease);
                        }
                    }
                } else {
                    Idle i = idle.pollFirst();
                    w = i == null ? null : i.worker;
                }
                if (conflict || nothingToClose) {
                    running--;
                    give = true;
                    w = null;
                } else if (w != null) {
                    busy.put(w, call);
                    call.worker = w;
                    call.assigned = true;
                } else if (call.lease == null && unclaimedStarts > 0) {
                    unclaimedStarts--; // a prestarted worker is on its way, and further along than a new one
                    unwantedStarts = Math.min(unwantedStarts, unclaimedStarts); // wanted again if it was not
                    lock.notifyAll(); // a prestart(n) waiting for it no longer should
                    awaitingStart.add(call);
                    return;
                } else {
                    starting++;
                    startingFor.add(call);
                }
            }
        }
        if (give) { // never release a permit under our lock: it may dispatch another context's call
            call.releasePermit();
            if (nothingToClose) {
                call.delivering = true;
                call.future.complete(null);
            } else if (!call.future.isDone()) {
                call.fail(conflict ? new IllegalStateException("slot " + call.lease.slot + " is already running a"
                        + " call; a stateful map sends one item at a time per slot")
                        : new ContextClosedException("worker context closed before " + call.fn + " started"));
            }
            call.settled.complete(null);
        } else if (w == null) {
            try {
                starter.execute(() -> startFor(call));
            } catch (java.util.concurrent.RejectedExecutionException e) { // close() finished meanwhile
                synchronized (lock) {
                    running--;
                    starting--;
                    startingFor.remove(call);
                    lock.notifyAll();
                }
                call.releasePermit();
                call.fail(new ContextClosedException("worker context closed before " + call.fn + " started"));
                call.settled.complete(null);
            }
        } else {
            send(call, w);
        }
    }

    private void startFor(Call call) {
        ProcessWorker w;
        try {
            w = startCounted();
        } catch (RuntimeException e) {
            startFailed(call, e);
            return;
        }
        handOver(call, w);
    }

    private void startFailed(Call call, RuntimeException e) {
        if (closeInterrupted && !(e instanceof ContextClosedException)) { // its start was killed by that close
            e = new ContextClosedException("worker context closed before " + call.fn + " started (the thread "
                    + "closing it was interrupted)");
        }
        synchronized (lock) {
            running--;
            startingFor.remove(call);
            lock.notifyAll(); // a close may be waiting until no call needs a worker
        }
        call.releasePermit();
        call.fail(e);
        call.settled.complete(null);
    }

    /** Gives a worker just started to the call that waited for it, unless the call or the context is gone. */
    private void handOver(Call call, ProcessWorker w) {
        boolean abandoned;
        boolean died;
        synchronized (lock) {
            startingFor.remove(call);
            lock.notifyAll(); // a close may be waiting until no call needs a worker
            died = !live.contains(w); // exited between its handshake and now: onExit has already run
            // A context closing lets the call run: it was accepted, and gets the grace period as running calls do,
            // unless an interrupt of the thread closing it ended that grace period.
            abandoned = !died && (call.future.isDone() || closeInterrupted);
            if (abandoned) {
                running--;
                if (!closing) {
                    pushIdle(w);
                }
            } else if (died) {
                running--;
            } else {
                busy.put(w, call);
                call.worker = w;
                call.assigned = true;
                if (call.lease != null && !call.lease.released) {
                    call.lease.worker = w;
                    leased.put(w, call.lease);
                }
            }
        }
        if (died) {
            call.releasePermit();
            call.fail(broken(w.exit().join(), " right after it started, before running " + call.fn));
            call.settled.complete(null);
        } else if (abandoned) {
            if (closing) {
                w.closeInput();
            }
            call.releasePermit();
            if (!call.future.isDone()) {
                call.fail(new ContextClosedException("worker context closed before " + call.fn + " started"));
            }
            call.settled.complete(null);
        } else {
            send(call, w);
        }
    }

    private void send(Call call, ProcessWorker w) {
        try {
            call.pid = w.pid();
            call.sentNanos = System.nanoTime();
            if (call.callerReads && w.callerReads() && call.type == Protocol.CALL) {
                w.sendForCaller(call.type, call.id, call.request, alone());
                if (!call.claimForCaller(w)) { // the caller stopped waiting to read it: the reader thread reads it
                    w.readReplyInBackground(() -> call.answered);
                }
            } else {
                w.send(call.type, call.id, call.request, alone(), () -> call.answered);
            }
            call.started.complete(null);
        } catch (IOException e) {
            // The worker died before it had the whole request, so it did not run it; onExit retries once.
            call.writeFailed = true;
        }
    }

    /** {@link #startWorker()} for a start already counted in {@code starting}. */
    private ProcessWorker startCounted() {
        try {
            return startWorker();
        } finally {
            synchronized (lock) {
                starting--;
                lock.notifyAll();
            }
        }
    }

    private ProcessWorker startWorker() {
        FrameBuffer configure = null;
        if (config.init() != null || config.retire() != null) {
            configure = new FrameBuffer(config.maxFrameSize());
            try {
                DataOutputStream out = new DataOutputStream(configure);
                writeOptionalFunction(out, config.init());
                writeOptionalFunction(out, config.retire());
                out.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        long t0 = System.nanoTime();
        Object event = Telemetry.starting();
        ProcessWorker w = ProcessWorker.start(launcher, configure, config.init() != null, config.startupTimeout(),
                config.maxFrameSize(), config.spinWait().toNanos(), config.adaptiveSpin(), this);
        telemetry.started(event, w, t0);
        return w;
    }

    private static void writeOptionalFunction(DataOutputStream out, Object fn) throws IOException {
        writeOptionalId(out, fn == null ? null : Functions.of(fn));
    }

    private static void writeOptionalId(DataOutputStream out, FunctionId id) throws IOException {
        out.writeBoolean(id != null);
        if (id != null) {
            id.writeTo(out);
        }
    }

    /** The caller completed or cancelled the future itself. */
    /**
     * For a call whose future is about to be completed from outside ({@code what}: how): with killOnCancel, kills
     * the worker running it at once, unless its reply has come. {@link #abandon} does the rest once the future is
     * done (and kills the worker if this did not, say for a call that had none yet).
     */
    private void killBeforeAbandoning(Call call, String what) {
        if (!call.killOnCancel) {
            return;
        }
        ProcessWorker w;
        synchronized (lock) {
            w = call.worker;
            if (w == null || call.answered || busy.get(w) != call || !doomed.add(w)) {
                return;
            }
            // Its future completes right after this returns: its worker's exit must not complete it first.
            call.completingFromOutside = true;
        }
        telemetry.killing(w, "its call of " + call.fn + " " + what);
        w.kill(); // onExit reaps, releases the permit and settles the call
        Runnable hook = afterEarlyKill;
        if (hook != null) {
            hook.run();
        }
    }

    /** {@link #killBeforeAbandoning}, made once: every call's future holds it. */
    private final java.util.function.BiConsumer<Call, String> killBeforeAbandoning = this::killBeforeAbandoning;

    /** Tests only: runs after {@link #killBeforeAbandoning} killed a worker, before the future completes. */
    static volatile Runnable afterEarlyKill;

    private void abandon(Call call) {
        boolean wasQueued;
        boolean wasAwaiting = false;
        ProcessWorker w;
        synchronized (lock) {
            wasQueued = queued.remove(call);
            if (!wasQueued && awaitingStart.remove(call)) { // it claimed a prestart: give the claim back
                wasAwaiting = true;
                unclaimedStarts++;
                running--;
                lock.notifyAll();
            }
            // Never handed a worker, and never will be (handOver checks the future under this lock): it did not run.
            call.neverRan = !call.assigned;
            lock.notifyAll(); // a close may be waiting only for starts that this call wanted
            w = call.killOnCancel ? call.worker : null;
            // From now on its reply is ignored and it never returns to the cache. Already doomed: being killed.
            if (w != null && !doomed.add(w)) {
                w = null;
            }
        }
        if (wasAwaiting) {
            call.releasePermit();
            call.settled.complete(null);
        } else if (wasQueued) {
            CompletableFuture<Void> permit = call.permit;
            if (permit != null && !permit.cancel(false) && !permit.isCompletedExceptionally()) {
                call.releasePermit(); // granted just now; dispatch found the call gone
            }
            call.settled.complete(null);
        } else if (w != null) {
            telemetry.killing(w, call.future.isCancelled() ? "its call of " + call.fn + " was cancelled"
                    : call.future.isCompletedExceptionally() ? "its call of " + call.fn + " did not complete in time"
                    : "its call of " + call.fn + " was completed from outside");
            w.kill(); // onExit reaps, releases the permit and settles the call
        }
        // Otherwise the call is starting a worker (startFor sees it) or runs to completion (killOnCancel=false). A
        // call starting a worker keeps its permit until that worker is up (and goes to the cache): releasing it now
        // would let cancelled calls start workers past the limiter's bound, one more for each cancel.
    }

    // ---------------------------------------------------------------------------------------------- worker events

    @Override
    public void onStarted(ProcessWorker worker) {
        // Counted once its process exists, so that every worker that exits (also one whose JVM or init failed
        // before it was ready) was counted as started: started = idle + running + killed + crashed + retired.
        telemetry.workersStarted.incrementAndGet();
        synchronized (lock) {
            live.add(worker);
            lock.notifyAll(); // a close may be waiting to cut short a start no call wants
        }
    }

    @Override
    public void onReply(ProcessWorker w, Frame f) {
        boolean retiring = f.hasFlag(Protocol.FLAG_RETIRING);
        Call call;
        boolean closeIt = false;
        synchronized (lock) {
            if (doomed.contains(w)) {
                return; // its call was cancelled and it is being killed; onExit settles the call
            }
            call = busy.get(w);
            if (call == null || call.id != f.callId) {
                call = null;
            } else {
                call.answered = true;
                busy.remove(w);
                call.worker = null;
                running--;
                Lease lease = leased.get(w);
                if (retiring && lease != null) {
                    leased.remove(w);
                    lease.worker = null; // the slot's next call starts a replacement
                }
                if (!retiring) {
                    if (closing) {
                        closeIt = true;
                    } else if (lease == null) {
                        pushIdle(w);
                    } else if (lease.released) {
                        leased.remove(w); // the map ended while this item ran: EOF closes its state
                        lease.worker = null;
                        closeIt = true;
                    } // else it stays pinned to its slot
                }
            }
        }
        if (call == null) {
            logger().log(System.Logger.Level.WARNING, w + " replied to call " + f.callId
                    + " which it was not running; killing it");
            telemetry.killing(w, "it replied to a call it was not running");
            w.kill();
            return;
        }
        if (closeIt) {
            w.closeInput();
        }
        Call done = call;
        stopsWaiting(done); // before its future completes: that may resume a caller, whose next call counts again
        done.releasePermit();
        if (done.inlineDelivery) {
            deliver(done, f);
        } else {
            DELIVERY.execute(() -> deliver(done, f));
        }
        done.settled.complete(null);
    }

    private void deliver(Call call, Frame f) {
        call.delivering = true;
        call.replyBytes = (int) Math.min(Integer.MAX_VALUE, f.size());
        if (call.future.isDone()) {
            return; // cancelled with killOnCancel=false: the result is dropped
        }
        PayloadInput payload = PayloadInput.of(f);
        DataInputStream in = new DataInputStream(payload);
        if (f.type == Protocol.RESULT) {
            Object value;
            try {
                value = call.type == Protocol.BATCH ? readBatch(call, in) : call.codec.readResult(payload);
            } catch (IOException | RuntimeException e) {
                call.future.completeExceptionally(undecodable(call, e));
                return;
            }
            boolean counted = countedBeforeCompletion(call, null);
            if (!call.future.complete(value) && counted) {
                recountAsCompletedFromOutside(call, null);
            }
        } else {
            Throwable t = remoteException(call, in);
            boolean counted = countedBeforeCompletion(call, t);
            if (!call.future.completeExceptionally(thrownByTheFunction(t)) && counted) {
                recountAsCompletedFromOutside(call, t);
            }
        }
    }

    /**
     * A call counted with its reply ({@code counted}: null for a result) whose future a cancel (or a time limit)
     * completed first: its caller saw that, so the statistics count that instead.
     */
    private void recountAsCompletedFromOutside(Call call, Throwable counted) {
        Throwable actual;
        try {
            call.future.getNow(null);
            actual = new java.util.concurrent.CancellationException("completed from outside");
        } catch (java.util.concurrent.CancellationException e) {
            actual = e;
        } catch (java.util.concurrent.CompletionException e) {
            actual = e.getCause();
        }
        telemetry.recount(counted, actual);
    }

    /**
     * What to complete a future with when the function threw {@code t}: {@code t}, except that a
     * {@link java.util.concurrent.CancellationException} goes in a {@link java.util.concurrent.CompletionException}.
     * Completed with it bare, the future would count as cancelled ({@code isCancelled()}, and {@code get()} throwing
     * it as a cancellation) though nobody cancelled the call; wrapped, {@code get()} throws it as the cause of an
     * {@code ExecutionException}, as for any exception a task throws, and {@code runSync} throws it as itself.
     */
    public static Throwable thrownByTheFunction(Throwable t) {
        return t instanceof java.util.concurrent.CancellationException ? new java.util.concurrent.CompletionException(t)
                : t;
    }

    /** A batch's reply: each item's result, or an {@link ItemFailure}. */
    private Object[] readBatch(Call call, DataInputStream in) throws IOException {
        Object[] results = new Object[in.readInt()];
        for (int i = 0; i < results.length; i++) {
            int status = in.readUnsignedByte();
            byte[] bytes = in.readNBytes(in.readInt());
            if (status == Protocol.ITEM_RESULT) {
                try {
                    results[i] = call.codec.readResult(new java.io.ByteArrayInputStream(bytes));
                } catch (IOException | RuntimeException e) {
                    results[i] = new ItemFailure(undecodable(call, e));
                }
            } else {
                results[i] = new ItemFailure(remoteException(call,
                        new DataInputStream(new java.io.ByteArrayInputStream(bytes))));
            }
        }
        return results;
    }

    private static IllegalStateException undecodable(Call call, Exception e) {
        return new IllegalStateException("cannot decode the result of " + call.fn + " with " + codecName(call.codec)
                + ": " + e.getMessage(), e);
    }

    /** The exception a worker sent (for a call, or one item of a batch), rebuilt as the caller's own class. */
    private static Throwable remoteException(Call call, DataInputStream in) {
        try {
            return ExceptionRebuilder.markRemote(ExceptionRebuilder.rebuild(RemoteThrowable.read(in), call.loader),
                    call.pid);
        } catch (IOException e) {
            return new IllegalStateException("cannot decode the exception thrown by " + call.fn + ": " + e, e);
        }
    }

    /**
     * Counts a replied call in the statistics before its future completes: a caller resumed by that completion (a
     * coroutine, on another thread) then reads statistics that include it.
     */
    private boolean countedBeforeCompletion(Call call, Throwable failure) {
        if (call.type != Protocol.SLOT_RELEASE && call.claimCount()) {
            telemetry.callDone(call, failure);
            return true;
        }
        return false;
    }

    @Override
    public void onExit(ProcessWorker w, WorkerExit exit) {
        Call call;
        boolean forced;
        boolean wasIdle;
        boolean retry = false;
        synchronized (lock) {
            live.remove(w);
            boolean wasDoomed = doomed.remove(w);
            Lease lease = leased.remove(w);
            if (lease != null && lease.worker == w) {
                lease.worker = null;
            }
            wasIdle = idle.removeIf(i -> i.worker == w);
            forced = forcedKills.contains(w);
            call = busy.remove(w);
            telemetry.count(exit, call != null);
            if (call != null) {
                call.worker = null;
                running--;
                boolean abandoned = call.future.isDone() || call.completingFromOutside;
                if (abandoned) { // cancelled (or timed out) before: what became of it, for messages
                    call.workerEnd = wasDoomed ? "its worker was killed" : forced ? "its worker was killed as the "
                            + "context closed" : "its worker ended: " + exit.describe("");
                }
                retry = call.writeFailed && call.retries++ == 0 && !exit.killed && !closing && !abandoned;
                call.writeFailed = false;
                if (retry) {
                    queued.add(call); // it never reached the worker: try again with another
                }
            }
            if (closing && !exit.clean() && !forced && (call == null || !call.future.isDone()
                    && !call.completingFromOutside)) {
                closeFailures.add(exit);
            }
            exitsReporting++;
            lock.notifyAll();
        }
        try {
            telemetry.exited(w, exit, call != null ? " while running " + call.fn : wasIdle ? " while idle" : "");
        } finally {
            synchronized (lock) {
                exitsReporting--;
                lock.notifyAll();
            }
        }
        if (call != null) {
            if (retry) {
                dispatch(call);
                return;
            }
            call.releasePermit();
            if (!call.future.isDone() && !call.completingFromOutside) {
                String during = " while running " + call.fn;
                if (forced) {
                    during += closeInterrupted
                            ? ", by Offload: the context closed, and the thread closing it was interrupted"
                            : ", by Offload: the context closed and its grace period (" + config.gracePeriod()
                                    + ") elapsed";
                }
                call.fail(broken(exit, during));
            }
            call.settled.complete(null);
        }
    }

    private static BrokenWorkerException broken(WorkerExit exit, String during) {
        Throwable cause = exit.brokenCause == null ? null
                : ExceptionRebuilder.rebuild(exit.brokenCause, ClassLoader.getSystemClassLoader());
        return Secrets.broken(exit.describe(during), exit.pid, exit.exitCode, exit.signal, exit.stderrTail, cause);
    }

    // ---------------------------------------------------------------------------------------------- the cache

    /**
     * Caller holds the lock; the cache is not empty. The worker this thread used last if it is idle, else the most
     * recently used one. Plain LIFO made two busy callers trade workers: about one call in twelve went to the other
     * thread's last worker, which breaks the pairing the kernel's scheduler builds between a caller and its worker
     * (a wake-up on the same CPU is cheap, one across CPUs is not). With the hint, two callers on two workers went
     * from 114k-126k to 170k-184k calls/s, and each worker's CPU per call from 6.5 to 4.6 µs (probe on 2026-11-22,
     * in the same runs as a raw echo at 268k-307k). Only the submitting thread's fast path looks; the pid is a hint
     * (a reused pid costs nothing but the hint).
     */
    private ProcessWorker takeIdle() {
        long[] last = LAST_WORKER.get();
        ProcessWorker w = null;
        if (idle.size() > 1 && last[0] != 0) {
            Iterator<Idle> it = idle.iterator();
            for (int n = 0; n < 4 && it.hasNext(); n++) { // among the four most recent: a short look under the lock
                Idle i = it.next();
                if (i.worker.pid() == last[0]) {
                    it.remove();
                    w = i.worker;
                    break;
                }
            }
        }
        if (w == null) {
            w = idle.pollFirst().worker;
        }
        last[0] = w.pid();
        return w;
    }

    /** Caller holds the lock. A worker that has already exited is not cached. */
    private void pushIdle(ProcessWorker w) {
        if (!live.contains(w) || doomed.contains(w)) {
            return;
        }
        idle.addFirst(new Idle(w, System.nanoTime()));
        long timeout = config.idleTimeout().toNanos();
        if (!pruneScheduled && timeout < TimeUnit.DAYS.toNanos(365)) {
            pruneScheduled = true; // one timer per context, not one per call: it re-arms itself
            Timers.schedule(this::pruneIdle, timeout);
        }
    }

    /**
     * Shuts down workers idle for longer than the idle timeout (the least recently used are at the tail), then
     * re-arms for the next one to expire.
     */
    private void pruneIdle() {
        List<ProcessWorker> expired = new ArrayList<>();
        synchronized (lock) {
            long now = System.nanoTime();
            long timeout = config.idleTimeout().toNanos();
            while (!idle.isEmpty() && now - idle.peekLast().since >= timeout) {
                expired.add(idle.pollLast().worker);
            }
            if (idle.isEmpty() || closing) {
                pruneScheduled = false;
            } else {
                Timers.schedule(this::pruneIdle, Math.max(0, idle.peekLast().since + timeout - now));
            }
        }
        expired.forEach(ProcessWorker::closeInput);
    }

    /**
     * A prestart ended (with a worker, or {@code failure}): the worker goes to the first call that claimed a prestart,
     * else to the idle workers; a call that claimed it fails with the start's failure, as its own start would have.
     * Returns the failure, for {@link #prestart} to report.
     */
    private Throwable prestarted(ProcessWorker w, Throwable failure) {
        Call call;
        boolean closeIt = false;
        synchronized (lock) {
            call = awaitingStart.poll();
            if (call != null) {
                startingFor.add(call); // until handOver: a close must still see a call waiting for this worker
            }
            if (call == null) {
                unclaimedStarts--;
                lock.notifyAll(); // a prestart(n) may be waiting for this start
                boolean unwanted = unwantedStarts > 0;
                if (unwanted) {
                    unwantedStarts--;
                }
                if (w != null) {
                    closeIt = closing || unwanted;
                    if (!closeIt) {
                        pushIdle(w);
                    }
                }
            }
        }
        if (call == null) {
            if (closeIt) {
                w.closeInput();
            }
        } else if (w != null) {
            handOver(call, w);
        } else {
            startFailed(call, startFailure(failure));
        }
        return failure;
    }

    /**
     * Starts workers until at least {@code n} are idle, counting starts already under way that no call has claimed
     * (the configured prestart, another thread's); waits for them all. A call that finds no idle worker meanwhile
     * takes one of these as it comes up, instead of starting another.
     */
    public void prestart(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("prestart count must be >= 0, was " + n);
        }
        launchPrestarts(reserveStarts(n));
        synchronized (lock) { // and the starts this one counted on
            while (idle.size() < n && unclaimedStarts > 0 && !closing) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * If this context has no worker at all (none idle, running or starting), starts one in the background for the
     * call about to be submitted to claim: its set-up (serializers, say) then overlaps the worker's JVM start-up.
     * Otherwise nothing. If the call is then refused before it is submitted, {@link #unwantEarlyStart} undoes this.
     *
     * @return whether a worker is starting for this call
     */
    public boolean startFirstWorkerEarly() {
        synchronized (lock) {
            if (closing || !live.isEmpty() || starting > 0 || !idle.isEmpty()) {
                return false;
            }
            starting++;
            unclaimedStarts++;
        }
        try {
            starter.execute(() -> {
                try {
                    launchPrestarts(1);
                } catch (RuntimeException e) {
                    // a call that claimed it has failed with this; one that did not will start its own
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) { // close() finished meanwhile
            dropReservedStarts(1);
        }
        return true;
    }

    /**
     * The call a worker was started early for was refused (no serializer for its types, say): unless another call
     * claims that worker first, it exits as soon as it is up instead of waiting idle, so a refused call leaves no
     * worker behind.
     */
    public void unwantEarlyStart() {
        synchronized (lock) {
            if (unclaimedStarts > unwantedStarts) {
                unwantedStarts++;
            }
        }
    }

    /** Forgets {@code k} reserved starts that will not happen; calls that claimed them fail (the context closed). */
    private void dropReservedStarts(int k) {
        List<Call> orphans = new ArrayList<>();
        synchronized (lock) {
            starting -= k;
            for (int i = 0; i < k; i++) { // unclaimed ones first
                if (unclaimedStarts > 0) {
                    unclaimedStarts--;
                    unwantedStarts = Math.min(unwantedStarts, unclaimedStarts);
                } else if (!awaitingStart.isEmpty()) {
                    orphans.add(awaitingStart.pollLast());
                }
            }
            lock.notifyAll();
        }
        orphans.forEach(c -> startFailed(c, new ContextClosedException("worker context closed before " + c.fn
                + " started")));
    }

    /** Counts the starts that bring the idle workers up to {@code n}, for calls to claim; returns how many. */
    private int reserveStarts(int n) {
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("worker context is closed; cannot prestart workers");
            }
            int need = Math.max(0, n - idle.size() - unclaimedStarts);
            starting += need;
            unclaimedStarts += need;
            return need;
        }
    }

    /** What a failed start threw (startWorker throws unchecked exceptions only), out of its CompletionException. */
    private static RuntimeException startFailure(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause instanceof RuntimeException ? (RuntimeException) cause : new IllegalStateException(cause);
    }

    /** Starts {@code need} workers reserved by {@link #reserveStarts}; waits for them. */
    private void launchPrestarts(int need) {
        List<CompletableFuture<Throwable>> starts = new ArrayList<>();
        for (int i = 0; i < need; i++) {
            try {
                starts.add(CompletableFuture.supplyAsync(this::startCounted, starter)
                        .handle((w, e) -> prestarted(w, e)));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                dropReservedStarts(need - i);
                throw new IllegalStateException("worker context is closed; cannot prestart workers");
            }
        }
        RuntimeException failure = null;
        for (CompletableFuture<Throwable> s : starts) {
            Throwable e;
            try {
                e = s.get();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt(); // the starts go on; the caller stops waiting for them
                return;
            } catch (java.util.concurrent.ExecutionException unexpected) {
                e = unexpected.getCause();
            }
            if (e != null && failure == null) {
                failure = startFailure(e);
            }
        }
        if (failure != null) {
            if (isClosed()) { // a close cut the starts short: they were wanted by nobody
                throw new ContextClosedException("worker context closed while its workers were starting");
            }
            throw failure;
        }
    }

    /**
     * {idle workers, running calls, workers started, killed, crashed, retired, calls completed, failed, cancelled,
     * pinned workers}; the current counts (idle, running, pinned) read together.
     */
    public long[] statistics() {
        long[] c = telemetry.counters();
        long[] s = new long[2 + c.length + 1];
        synchronized (lock) {
            s[0] = idle.size();
            s[1] = running;
            long pinned = 0;
            for (ProcessWorker w : leased.keySet()) {
                if (!busy.containsKey(w) && !doomed.contains(w)) {
                    pinned++;
                }
            }
            s[s.length - 1] = pinned;
        }
        System.arraycopy(c, 0, s, 2, c.length);
        return s;
    }

    // ---------------------------------------------------------------------------------------------- shutdown

    /**
     * Closes the context: refuses new calls, fails calls still waiting for a permit, sends EOF to idle workers,
     * lets running calls finish (and calls whose worker is still starting run once it is up), SIGKILLs whatever is
     * still alive after the grace period, and returns once every worker has been reaped.
     *
     * @throws BrokenWorkerException aggregating every worker that exited uncleanly or had to be killed
     */
    public void close() {
        close(false);
    }

    /** @param atExit whether the JVM is exiting (the shutdown hook): then a wait for running calls is announced */
    private void close(boolean atExit) {
        CompletableFuture<Void> done;
        List<ProcessWorker> eof = new ArrayList<>();
        List<Call> waiting;
        synchronized (lock) {
            if (closed != null) {
                done = closed;
                waiting = null;
            } else {
                closed = done = new CompletableFuture<>();
                closing = true;
                for (Idle i : idle) {
                    eof.add(i.worker);
                }
                idle.clear();
                for (Map.Entry<ProcessWorker, Lease> e : leased.entrySet()) {
                    e.getValue().released = true;
                    e.getValue().worker = null;
                    if (!busy.containsKey(e.getKey())) {
                        eof.add(e.getKey()); // a pinned worker between items: EOF closes its state
                    }
                }
                leased.clear();
                waiting = new ArrayList<>(queued);
                queued.clear();
            }
        }
        if (waiting == null) {
            done.join(); // another thread is closing; its caller gets the report
            return;
        }
        try {
            shutdown(eof, waiting, atExit);
        } finally {
            ContextRegistry.unregister(this);
            starter.shutdown();
            done.complete(null);
        }
    }

    /**
     * How long an idle worker may take to exit once its input is closed, whatever the grace period (which is for
     * running calls): the JVM's exit, a stateful task's close function, a class-data archive being written.
     */
    private static final long IDLE_EXIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * As {@code ExecutorService.close()}: an interrupt (already set, or while this waits for running calls) ends the
     * wait for running calls, whose workers are killed at once, and is set again on return. Idle workers still get
     * their {@link #IDLE_EXIT_NANOS} to exit, and every worker is reaped before this returns. Kills an interrupt
     * asked for are not failures of the shutdown.
     */
    private void shutdown(List<ProcessWorker> eof, List<Call> waiting, boolean atExit) {
        boolean interrupted = Thread.interrupted();
        try {
            shutdown(eof, waiting, atExit, interrupted);
        } finally {
            if (interrupted || closeInterrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The shutdown; an interrupt that ends its wait for running calls sets {@link #closeInterrupted}. */
    private void shutdown(List<ProcessWorker> eof, List<Call> waiting, boolean atExit, boolean interrupted) {
        long start = System.nanoTime();
        eof.forEach(ProcessWorker::closeInput);
        for (Call c : waiting) {
            c.fail(new ContextClosedException("worker context closed before " + c.fn + " started"));
            CompletableFuture<Void> permit = c.permit;
            if (permit != null && !permit.cancel(false) && !permit.isCompletedExceptionally()) {
                c.releasePermit();
            }
            c.settled.complete(null);
        }
        long grace = config.gracePeriod().toNanos();
        if (atExit && grace > 0) {
            int running = 0;
            synchronized (lock) {
                for (Map.Entry<ProcessWorker, Call> e : busy.entrySet()) {
                    // Not a call already cancelled or timed out whose worker is being killed: it holds up nothing.
                    if (!doomed.contains(e.getKey()) && !e.getValue().future.isDone()) {
                        running++;
                    }
                }
            }
            if (running > 0) {
                // Not through the logger: java.util.logging closes its handlers in a shutdown hook of its own.
                System.err.println("Offload: the JVM is exiting; waiting up to " + config.gracePeriod() + " for "
                        + running + " running call" + (running == 1 ? "" : "s") + " to finish (WorkerConfig"
                        + ".gracePeriod), then killing " + (running == 1 ? "its worker" : "their workers"));
            }
        }
        Set<ProcessWorker> startsCut = new HashSet<>();
        if (!interrupted) {
            try {
                awaitRunningCalls(start + grace, startsCut);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        List<ProcessWorker> stragglers = new ArrayList<>();
        Set<ProcessWorker> idleAtClose = new HashSet<>(eof);
        // Running calls and starts still under way get the grace period (unless an interrupt ended it); idle workers
        // at least IDLE_EXIT_NANOS.
        List<ProcessWorker> stopped = new ArrayList<>();
        closeInterrupted = interrupted;
        killLive(interrupted ? stopped : stragglers, idleAtClose, interrupted
                ? "still running when the thread closing the context was interrupted"
                : "still running when the context's grace period (" + config.gracePeriod() + ") elapsed");
        awaitQuiet(start + (interrupted ? IDLE_EXIT_NANOS : Math.max(grace, IDLE_EXIT_NANOS)));
        stragglers.addAll(stopped); // not killed again below
        do { // kill what is left
            killLive(stragglers, Set.of(), "did not exit once the context closed");
        } while (!awaitQuiet(System.nanoTime() + TimeUnit.SECONDS.toNanos(1)));
        stragglers.removeAll(stopped);
        stragglers.removeAll(startsCut); // no call wanted them: no failure of the shutdown
        List<WorkerExit> failures;
        synchronized (lock) {
            failures = new ArrayList<>(closeFailures);
        }
        if (failures.isEmpty() && stragglers.isEmpty()) {
            return;
        }
        int n = failures.size();
        int k = stragglers.size();
        BrokenWorkerException report = Secrets.broken("graceful shutdown failed: " + n + " nonzero exit code"
                + (n == 1 ? "" : "s") + " and " + k + " forced kill" + (k == 1 ? "" : "s"), -1, null, null, "", null);
        for (WorkerExit e : failures) {
            report.addSuppressed(broken(e, " during shutdown"));
        }
        for (ProcessWorker w : stragglers) {
            WorkerExit e = w.exit().join();
            report.addSuppressed(broken(e, idleAtClose.contains(w)
                    ? ", by Offload: it had not exited " + java.time.Duration.ofNanos(interrupted ? IDLE_EXIT_NANOS
                            : Math.max(grace, IDLE_EXIT_NANOS)) + " after its input closed"
                    : ", by Offload: it was still running when the grace period (" + config.gracePeriod()
                            + ") elapsed"));
        }
        logger().log(System.Logger.Level.WARNING, "worker context closed uncleanly: " + report.getMessage());
        throw report;
    }

    /** Kills the live workers that are neither in {@code killed} already nor {@code spared}, and adds them there. */
    private void killLive(List<ProcessWorker> killed, Set<ProcessWorker> spared, String reason) {
        List<ProcessWorker> now;
        synchronized (lock) {
            now = new ArrayList<>(live);
            now.removeAll(killed);
            now.removeAll(spared);
            forcedKills.addAll(now);
        }
        for (ProcessWorker w : now) {
            telemetry.killing(w, reason);
            w.kill();
        }
        killed.addAll(now);
    }

    /** Caller holds {@code lock}: no worker alive or starting, and every exit reported. */
    private boolean quiet() {
        return live.isEmpty() && starting == 0 && exitsReporting == 0;
    }

    /**
     * Waits until {@link #quiet()}, or the deadline passes; true if quiet. Not interruptible: an interrupt that comes
     * meanwhile is set again on return.
     */
    private boolean awaitQuiet(long deadline) {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return awaitQuietInterruptibly(deadline);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The close's wait for running calls: until {@link #quiet()} or the deadline. Meanwhile, once no call runs or waits
     * for a worker to start, workers running the configured init are killed (a prestart, or a start for a call
     * cancelled since: an init may run for long) and added to {@code cut}. Workers whose JVM is still booting (or
     * that have no init to run) are left to come up, in milliseconds, and get EOF then; workers that are up, idle ones
     * exiting after EOF say, are left to finish.
     */
    private void awaitRunningCalls(long deadline, Set<ProcessWorker> cut) throws InterruptedException {
        for (;;) {
            List<ProcessWorker> unwanted = new ArrayList<>();
            synchronized (lock) {
                long left;
                while (!quiet() && (left = deadline - System.nanoTime()) > 0) {
                    boolean booting = false;
                    if (noCallNeedsAWorker()) {
                        for (ProcessWorker w : live) {
                            if (cut.contains(w)) {
                                continue;
                            }
                            if (w.isInitializing() && config.init() != null) {
                                unwanted.add(w); // its init may run for long
                            } else if (w.isBooting() || w.isInitializing()) {
                                booting = true; // up in milliseconds, then it gets EOF
                            }
                        }
                        if (!unwanted.isEmpty()) {
                            break;
                        }
                    }
                    // Nothing tells this lock when a booting worker's handshake is done: look again soon.
                    TimeUnit.NANOSECONDS.timedWait(lock, booting ? Math.min(left, BOOT_POLL_NANOS) : left);
                }
                if (unwanted.isEmpty()) {
                    return;
                }
                cut.addAll(unwanted);
                forcedKills.addAll(unwanted);
            }
            for (ProcessWorker w : unwanted) {
                telemetry.killing(w, "it was still starting, for no call, when the context closed");
                w.kill();
            }
        }
    }

    private static final long BOOT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** Caller holds {@code lock}: no call runs in a worker, and none waits for a worker to start. */
    private boolean noCallNeedsAWorker() {
        if (!busy.isEmpty()) {
            return false;
        }
        for (Call c : startingFor) {
            if (!c.future.isDone()) {
                return false;
            }
        }
        for (Call c : awaitingStart) {
            if (!c.future.isDone()) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@link #quiet()}, or the deadline passes; true if quiet. */
    private boolean awaitQuietInterruptibly(long deadline) throws InterruptedException {
        synchronized (lock) {
            long left;
            while (!quiet() && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return quiet();
        }
    }

    /** Starts closing without waiting (the shutdown hook closes every context at once). */
    CompletableFuture<Void> closeAsync() {
        return CompletableFuture.runAsync(() -> {
            try {
                close(true);
            } catch (BrokenWorkerException e) {
                logger().log(System.Logger.Level.WARNING, "worker context closed at JVM exit: " + e.getMessage());
            }
        }, r -> {
            Thread t = new Thread(r, "offload-close");
            t.setDaemon(true);
            t.start();
        });
    }

    public boolean isClosed() {
        synchronized (lock) {
            return closing;
        }
    }
}
