package dev.offload.internal.process;

import dev.offload.BrokenWorkerException;
import dev.offload.internal.ExceptionRebuilder;
import dev.offload.internal.Secrets;
import dev.offload.internal.protocol.Frame;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FrameReader;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.PayloadInput;
import dev.offload.internal.protocol.Protocol;
import dev.offload.internal.protocol.ProtocolException;
import dev.offload.internal.protocol.RemoteThrowable;
import dev.offload.internal.protocol.Wire;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One worker process and its pipes. Frames are read (forwarding what the function printed, handing replies to the
 * {@link Listener}) and, when the stream ends or breaks, the reader makes sure the process is gone, reaps it and
 * reports a {@link WorkerExit}. A pump thread drains its stderr. Nothing here is per call.
 *
 * <p>Who reads the worker's stdout. Where the parent can hold a write end of that pipe itself (Linux: through
 * {@code /proc/<pid>/fd/1}), a caller that blocks for its reply reads it on its own thread ({@link #readReply}),
 * which saves waking a second thread per call. The worker's reader thread reads the replies of asynchronous calls
 * ({@link #readReplyInBackground}) and keeps reading from then on, so that a run of asynchronous calls wakes it
 * only when a reply arrives; a blocking caller that finds it reading writes a {@link Protocol#TURN} frame to stop
 * it, and reads once it has stopped. Because the parent's write end keeps the pipe open, the end of the stream is an
 * {@link Protocol#END} frame that a waiter thread writes once the process has exited: it also ends a read blocked
 * on a pipe that a grandchild process inherited. Elsewhere the reader thread reads all the time, and the end is EOF.
 */
public final class ProcessWorker {
    /** Receives replies and the exit, on the worker's reader thread. */
    public interface Listener {
        /** The process exists; called before any other callback. */
        void onStarted(ProcessWorker worker);

        /** A RESULT or ERROR frame. */
        void onReply(ProcessWorker worker, Frame frame);

        /** The process has exited and been reaped; called once. */
        void onExit(ProcessWorker worker, WorkerExit exit);
    }

    private static final long PROTOCOL_EXIT_WAIT_MILLIS = 1000;
    private static final int MAX_GARBAGE = 4096;
    private static final long READER_GRACE_MILLIS = 2000;
    /** {@code -Doffload.callerReads=false}: the reader thread reads everything, as where no write end can be had. */
    private static final boolean CALLER_READS = !"false".equals(System.getProperty("offload.callerReads"));

    private final Process process;
    private final long pid;
    private final long startNanos = System.nanoTime();
    private java.util.function.Consumer<WorkerExit> exitHook = e -> { };
    private final FrameWriter writer;
    private final FrameReader reader;
    private final InputStream stdout;
    private final OutputTail tail = new OutputTail();
    private final Thread stderrThread;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<WorkerExit> exit = new CompletableFuture<>();
    private final Listener listener;
    private volatile boolean killed;
    private final java.util.concurrent.atomic.AtomicBoolean reported = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile String brokenReason;
    private volatile RemoteThrowable brokenCause;
    private byte[] garbage = new byte[0];

    /** The configured spin (WorkerConfig.spinWait): when positive, every read spins that long. */
    private long spinNanos;
    // Adaptive spinning (WorkerConfig.adaptiveSpin). Both sides spin or neither: the caller for its reply, the
    // worker (asked by FLAG_SPIN) for its next request. Spinning pays while the spinning callers' replies come
    // within the spin; it measured worse than blocking while they did not (40 µs a call against 15 on this 2-vCPU
    // machine, some seconds at a time). So only spinning calls' waits are averaged, and while the average is too
    // long nobody spins but a probe: a few spinning calls in a row now and then, of which the last decides (the first
    // finds the worker asleep). Asynchronous calls, whose reader thread spins instead of the caller, compare the two
    // modes instead: see SpinChooser.
    /** Recent waits of spinning callers for their replies (moving average): spinning pays while it is short. */
    private volatile long recentWaitNanos = Long.MAX_VALUE;
    /** How long a caller spins, and how short recent replies must have been for it to. */
    private static final long ADAPTIVE_SPIN_NANOS = Protocol.ADAPTIVE_SPIN_NANOS;
    /**
     * How long the reader thread spins for the next reply of a spinning asynchronous call: longer than a caller,
     * because the wait includes waking the thread the last reply resumed, which sends the next request.
     */
    private static final long THREAD_SPIN_NANOS = 2 * ADAPTIVE_SPIN_NANOS;
    /** Whether this worker spins adaptively (WorkerConfig.adaptiveSpin). */
    private boolean adaptiveSpin;
    /** Whether the caller of the call last sent spins for its reply: decided at the send (see sendForCaller). */
    private volatile boolean callerSpins;
    /**
     * Whether the reader thread polls for the next reply once it has handed one over: the asynchronous call last sent
     * spun (see {@link #send(byte, long, FrameBuffer, boolean)}). Its next call, if soon, is likely to spin too.
     */
    private volatile boolean threadSpins;
    /** Whether the reader thread feeds {@link #asyncSpin} with its gaps: the last asynchronous call was alone. */
    private volatile boolean threadMeasures;
    /** Spinning or blocking for asynchronous calls, by what each gives: see {@link SpinChooser}. */
    private final SpinChooser asyncSpin = new SpinChooser(THREAD_SPIN_NANOS);
    /** Calls left until the next probe while spinning does not pay, and spinning calls left in the current one. */
    private int untilProbe = 1;
    private int probeLeft;
    private static final int PROBE_EVERY = 64;
    private static final int PROBE_LENGTH = 3;

    /** Our write end of the worker's stdout pipe, or null: then the reader thread reads all the time. */
    private final java.io.OutputStream keeper;
    /**
     * The call id of our {@link Protocol#END} and {@link Protocol#TURN} frames, a number a worker cannot guess; drawn
     * when first needed (see {@link #nonce}).
     */
    private long endNonce;
    private boolean nonceDrawn;
    /** Guards the turn fields: at most one thread reads stdout at a time. */
    private final Object turn = new Object();
    private boolean threadTurn;
    private boolean threadReading = true; // the handshake (and READY) first
    /** The reader thread reads replies until a TURN frame (not: the handshake, or what an exited worker left). */
    private boolean threadSticky;
    /** A caller wrote a TURN frame: the reader thread stops reading when it gets to it. */
    private boolean turnRequested;
    private boolean callerReading;
    /** Callers waiting in {@link #readReply} for the pipe (under {@code turn}; read without it by the reader thread). */
    private volatile int callersWaiting;
    private boolean exited;
    private boolean streamEnded;

    private ProcessWorker(Process process, int maxFrameSize, Listener listener,
            java.util.function.Predicate<String> unshown) {
        this.process = process;
        this.pid = process.pid();
        this.keeper = openKeeper(pid);
        this.listener = listener;
        this.stdout = process.getInputStream();
        this.reader = new FrameReader(stdout, maxFrameSize);
        this.writer = new FrameWriter(process.getOutputStream());
        this.stderrThread = new Thread(new StderrPump(process.getErrorStream(), tail, unshown), "offload-stderr-" + pid);
        stderrThread.setDaemon(true);
    }

    /**
     * Starts a worker and waits until it is ready: handshake done and, if {@code configure} is given, init run
     * ({@code runsInit}: the configuration has an init function, which a timeout message then names).
     *
     * @throws BrokenWorkerException if it cannot be launched, exits, breaks the protocol, or is not ready within
     *     {@code startupTimeout} (it is then killed)
     */
    public static ProcessWorker start(Launcher launcher, FrameBuffer configure, boolean runsInit,
            Duration startupTimeout, int maxFrameSize, long spinNanos, boolean adaptiveSpin, Listener listener) {
        Launcher.Launched launched;
        try {
            launched = launcher.launch();
        } catch (IOException e) {
            throw Secrets.broken("cannot start a worker process: " + e.getMessage(), -1, null, null, "", e);
        }
        ProcessWorker w = new ProcessWorker(launched.process, maxFrameSize, listener, launched.unshown);
        w.reader.spinBeforeBlocking(spinNanos);
        w.spinNanos = spinNanos;
        w.adaptiveSpin = adaptiveSpin;
        w.exitHook = launched.exited;
        listener.onStarted(w);
        w.stderrThread.start();
        boolean expectReady = configure != null;
        Thread readerThread = new Thread(() -> w.readLoop(expectReady), "offload-worker-" + w.pid);
        readerThread.setDaemon(true);
        readerThread.start();
        w.watchExit(readerThread);
        try {
            if (configure == null) {
                w.await(w.handshake, startupTimeout, "complete its handshake", startupTimeout);
            } else {
                long deadline = System.nanoTime() + startupTimeout.toNanos();
                w.await(w.handshake, startupTimeout, "complete its handshake", startupTimeout);
                w.writer.write(Protocol.CONFIGURE, 0, 0, configure);
                w.await(w.ready, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())),
                        runsInit ? "become ready (its init function was still running)" : "become ready",
                        startupTimeout);
            }
            w.up = true;
            return w;
        } catch (IOException e) {
            w.kill();
            throw w.startFailure("could not configure the worker: " + e);
        } finally {
            launched.cleanup.run();
        }
    }

    private final CompletableFuture<Void> handshake = new CompletableFuture<>();
    /** Set once {@link #start} has it ready (handshake done, init run): before that, it is starting. */
    private volatile boolean up;

    /**
     * Whether its JVM is up but it has not finished starting: its init (or the reply to CONFIGURE) is under way. Not
     * once it has reported itself broken (its init threw, say): then it is on its way out by itself.
     */
    public boolean isInitializing() {
        return handshake.isDone() && !up && brokenReason == null && process.isAlive();
    }

    /** Whether its JVM has not completed the handshake yet (and is alive). */
    public boolean isBooting() {
        return !handshake.isDone() && process.isAlive();
    }

    /** Waits up to {@code timeout} (what is left of {@code startupTimeout}, which the message names) for {@code f}. */
    private void await(CompletableFuture<Void> f, Duration timeout, String what, Duration startupTimeout) {
        try {
            CompletableFuture.anyOf(f, exit).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!f.isDone() || f.isCompletedExceptionally()) {
                throw startFailure(null);
            }
        } catch (TimeoutException e) {
            kill();
            throw startFailure("did not " + what + " within its startupTimeout of " + startupTimeout
                    + " and was killed (raise it with WorkerConfig.builder().startupTimeout(...))");
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
            throw startFailure("start interrupted; the worker was killed");
        } catch (ExecutionException e) {
            throw startFailure(null); // the reader gave up on the worker
        }
    }

    private BrokenWorkerException startFailure(String what) {
        WorkerExit e = awaitExitQuietly();
        String message = "worker failed to start: " + (what != null ? "pid " + pid + " " + what + "; " : "")
                + (e != null ? e.describe("") : "it did not exit")
                + ChildJvmLauncher.missingMainHint(e != null ? e.stderrTail : tail.lastLines());
        Throwable cause = e == null || e.brokenCause == null ? null
                : ExceptionRebuilder.rebuild(e.brokenCause, ClassLoader.getSystemClassLoader());
        return Secrets.broken(message, pid, e == null ? null : e.exitCode, e == null ? null : e.signal,
                e == null ? tail.lastLines() : e.stderrTail, cause);
    }

    private WorkerExit awaitExitQuietly() {
        try {
            return exit.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            return null;
        }
    }

    public long pid() {
        return pid;
    }

    /** {@code System.nanoTime()} when the process was launched. */
    public long startNanos() {
        return startNanos;
    }

    /**
     * Sends a request frame (CALL, SLOT_CALL or SLOT_RELEASE) whose reply the reader thread reads. If its caller is
     * {@code alone} (see {@link #sendForCaller}) and spinning has given this worker's asynchronous calls shorter
     * cycles than blocking lately ({@link SpinChooser}), both sides spin: the worker polls for its next request after
     * replying, and the reader thread, once it has handed this reply over, polls for the next one. Both yield their
     * processors meanwhile to the thread the reply resumes, which must run before the next request comes.
     *
     * <p>The reader thread gets its turn before the request is written: once it is, the reply may be read at once
     * (by a reader thread reading on) and this worker given to another call, whose caller a turn given then would
     * stall. {@code answered} says whether the call's reply has been read.
     */
    public void send(byte type, long callId, FrameBuffer request, boolean alone,
            java.util.function.BooleanSupplier answered) throws IOException {
        boolean measured = alone && spinNanos == 0 && adaptiveSpin;
        boolean spin = measured && asyncSpin.next();
        callerSpins = false;
        threadSpins = spin;
        threadMeasures = measured;
        readReplyInBackground(answered);
        writer.write(type, spin ? Protocol.FLAG_SPIN | Protocol.FLAG_YIELD : 0, callId, request);
    }

    /**
     * Sends a CALL whose caller reads the reply itself. If the caller is {@code alone} (the processors are not all
     * needed by other callers and their workers) and this worker's recent replies came quickly (or in a probe,
     * now and then, to see whether they would), both sides spin: the worker polls for its next request
     * after replying, and the caller for this reply (see {@link #readReply}).
     */
    public void sendForCaller(byte type, long callId, FrameBuffer request, boolean alone) throws IOException {
        boolean spin = alone && spinNanos == 0 && adaptiveSpin && spinsNext();
        callerSpins = spin;
        threadSpins = false;
        threadMeasures = false;
        // If the reader thread goes on reading, ask it to stop now, before the request: our TURN frame then lands in
        // the pipe before anything the worker writes for this call. Written later, it could land inside a reply
        // larger than the pipe's atomic write (4 KiB) that the worker is writing at that moment, and corrupt it.
        if (keeper != null) {
            synchronized (turn) {
                requestTurn();
            }
        }
        writer.write(type, spin ? Protocol.FLAG_SPIN : 0, callId, request);
    }

    /** Whether the next call spins: recent spinning calls got their replies within the spin, or it is a probe. */
    private boolean spinsNext() {
        if (recentWaitNanos < ADAPTIVE_SPIN_NANOS) {
            probeLeft = 0;
            return true;
        }
        if (probeLeft > 0) {
            probeLeft--;
            return true;
        }
        if (--untilProbe > 0) {
            return false;
        }
        untilProbe = PROBE_EVERY;
        probeLeft = PROBE_LENGTH - 1;
        return true;
    }

    /**
     * SIGKILL, now. The reader thread reaps the process and reports the exit. Through the process handle, because
     * {@code Process.destroyForcibly} also closes our ends of the pipes and would lose the last output.
     */
    public void kill() {
        killed = true;
        process.toHandle().destroyForcibly();
    }

    /** Closes the worker's stdin: an idle worker exits cleanly on EOF. */
    public void closeInput() {
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed or the worker is gone: either way it gets EOF
        }
    }

    /** Completes once the process has exited, been reaped and its output drained. */
    public CompletableFuture<WorkerExit> exit() {
        return exit;
    }

    /** Whether a caller may read its reply itself with {@link #readReply}. */
    public boolean callerReads() {
        return keeper != null;
    }

    /**
     * For the caller of a call sent with {@link #sendForCaller} that polls instead of blocking: 1 if
     * {@link #readReply} would find a whole frame to read at once (or the end of the stream), 0 if not (nothing yet,
     * or a frame still arriving: one larger than the pipe is left to the reader thread this way), -1
     * if the reader thread has it: then this asks it to stop (as {@code readReply} would), and the pipe is not asked
     * (only a pipe that nobody reads is). Never blocks.
     */
    public int replyWaiting() {
        synchronized (turn) {
            if (streamEnded) {
                return 1;
            }
            if (threadReading || callerReading || threadTurn) {
                requestTurn();
                return -1;
            }
        }
        try {
            return reader.frameReady() ? 1 : 0;
        } catch (IOException e) {
            return 1; // the read finds out what is wrong
        }
    }

    /** What {@link #readReply} returns when the reader thread had already read and handed over the reply. */
    public static final Frame ANSWERED = new Frame(Protocol.RESULT, 0, 0, new byte[0], 0);

    /**
     * Reads the reply to the call just sent, on the calling thread, forwarding what the function printed. If the
     * reader thread is reading, it is stopped first, and may hand over the reply itself meanwhile: then
     * {@code answered} turns true and this returns {@link #ANSWERED}. At the end of the stream (the worker exited,
     * or broke the protocol) it reports the exit and returns null. Only when {@link #callerReads()}, and only by
     * the thread that sent the call. {@code alone}: see {@link #sendForCaller}.
     */
    public Frame readReply(java.util.function.BooleanSupplier answered, boolean alone) {
        boolean interrupted = false;
        synchronized (turn) {
            for (;;) {
                if (answered.getAsBoolean()) {
                    restoreInterrupt(interrupted);
                    return ANSWERED;
                }
                if (streamEnded) {
                    restoreInterrupt(interrupted);
                    return null;
                }
                if (!threadReading && !callerReading && !threadTurn) { // (a turn given is a read about to start)
                    break;
                }
                requestTurn();
                callersWaiting++;
                try {
                    turn.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                } finally {
                    callersWaiting--;
                }
            }
            callerReading = true;
        }
        restoreInterrupt(interrupted);
        Frame f = null;
        ProtocolException protocolError = null;
        // Adaptive spin: while the worker polls for this request and processors are left for the workers, the
        // caller polls for its reply before blocking, which saves the wake-up of a blocked thread.
        boolean spun = alone && callerSpins;
        long t0 = System.nanoTime();
        try {
            if (spun) {
                reader.spinBeforeBlocking(ADAPTIVE_SPIN_NANOS);
            }
            do {
                f = next(false);
            } while (f == TURN_FRAME); // never meant for a caller: only the reader thread stops at one
        } catch (ProtocolException e) {
            protocolError = e;
        } catch (IOException e) {
            // the pipe broke: the process is going away; its exit status says why
        } catch (RuntimeException | Error e) {
            protocolError = new ProtocolException("reader failed: " + e);
        } finally {
            if (spun) {
                reader.spinBeforeBlocking(0);
            }
        }
        if (f != null && spun) {
            noteWait(System.nanoTime() - t0);
        }
        synchronized (turn) {
            callerReading = false;
            endTurn(f == null);
        }
        if (f == null) {
            finish(protocolError);
        }
        return f;
    }

    /** Adds a spinning caller's wait for its reply to the moving average the adaptive spin looks at. */
    private void noteWait(long nanos) {
        long recent = recentWaitNanos;
        if (recent >= ADAPTIVE_SPIN_NANOS) { // a probe: its last call decides
            if (probeLeft == 0 && nanos < ADAPTIVE_SPIN_NANOS) {
                recentWaitNanos = nanos; // spinning pays (again)
            }
            return;
        }
        recentWaitNanos = SpinChooser.average(recent, nanos);
    }

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * For an asynchronous call (or one whose caller stopped waiting to read its reply): the reader thread reads its
     * reply (and goes on reading), unless {@code answered} says the reply has been read already: then the worker
     * may be running another call, whose caller must not find the pipe taken.
     */
    public void readReplyInBackground(java.util.function.BooleanSupplier answered) {
        if (keeper != null) {
            synchronized (turn) {
                if (answered.getAsBoolean()) {
                    return;
                }
                // Unless it reads replies already and goes on doing so. Starting up, or asked to stop at a TURN, it
                // must (go on to) read this reply afterwards.
                if (!threadSticky || turnRequested) {
                    threadTurn = true;
                    turn.notifyAll();
                }
            }
        }
    }

    /** Caller holds {@code turn}; a read has ended, at the end of the stream if {@code ended}. */
    private void endTurn(boolean ended) {
        if (ended) {
            streamEnded = true;
            turn.notifyAll();
        } else if (exited) {
            threadTurn = true; // the process is gone: the reader thread reads what it left, up to END
            turn.notifyAll();
        } // otherwise nobody needs waking: a caller's reply costs no wake-up of the reader thread
    }

    /** The reader thread's turn, or false once the stream has ended. */
    private boolean awaitTurn() throws InterruptedException {
        synchronized (turn) {
            while (!threadTurn && !streamEnded) {
                turn.wait();
            }
            if (streamEnded) {
                return false;
            }
            threadTurn = false;
            threadReading = true;
            asyncSpin.pause(); // since its last read, others may have read: no gap to learn from
            threadSticky = !exited; // after the exit it only reads what is left, up to END
            return true;
        }
    }

    /** What {@link #next} returns for our TURN frame. */
    private static final Frame TURN_FRAME = new Frame(Protocol.TURN, 0, 0, new byte[0], 0);

    /**
     * Reads frames up to the next reply (RESULT or ERROR; also READY if {@code ready}), handling the others; null at
     * the end of the stream, {@link #TURN_FRAME} at our TURN frame.
     */
    private Frame next(boolean ready) throws IOException {
        for (;;) {
            Frame f = reader.read();
            if (f == null) {
                return null;
            }
            switch (f.type) {
                case Protocol.OUTPUT:
                    output(f);
                    break;
                case Protocol.READY:
                    if (ready) {
                        return f;
                    }
                    this.ready.complete(null);
                    break;
                case Protocol.BROKEN:
                    broken(f);
                    break;
                case Protocol.RESULT:
                case Protocol.ERROR:
                    return f;
                case Protocol.END:
                case Protocol.TURN:
                    if (keeper == null || f.callId != nonce() || f.length != 0) {
                        throw new ProtocolException("unexpected " + Protocol.typeName(f.type) + " frame from a worker");
                    }
                    return f.type == Protocol.END ? null : TURN_FRAME;
                default:
                    throw new ProtocolException("unexpected " + Protocol.typeName(f.type) + " frame from a worker");
            }
        }
    }

    private void readLoop(boolean expectReady) {
        ProtocolException protocolError = null;
        boolean report = true;
        try {
            reader.readHandshake();
            forwardJunk(reader.junk());
            handshake.complete(null);
            if (keeper == null) {
                for (Frame f; (f = next(false)) != null; ) {
                    listener.onReply(this, f);
                }
            } else {
                boolean ended = false;
                if (expectReady) {
                    Frame f = next(true);
                    ended = f == null;
                    if (f != null && f.type != Protocol.READY) {
                        throw new ProtocolException("unexpected " + Protocol.typeName(f.type)
                                + " frame from a worker that was not ready");
                    }
                    if (f != null) {
                        ready.complete(null);
                    }
                }
                if (!ended) {
                    endThreadTurn(false);
                }
                reading:
                while (!ended) {
                    if (!awaitTurn()) {
                        report = false; // a caller read the end of the stream and reports the exit
                        break;
                    }
                    for (;;) { // until the end or a TURN: a run of asynchronous calls needs no wake-up but the reply's
                        boolean spin = threadSpins; // never with a fixed spin, which sets the reader's own
                        boolean measured = threadMeasures;
                        if (spinNanos == 0) {
                            reader.spinBeforeBlocking(spin ? THREAD_SPIN_NANOS : 0, true);
                        }
                        long t0 = measured ? System.nanoTime() : 0;
                        Frame f = next(false);
                        if (f == null) {
                            break reading;
                        }
                        if (measured && f != TURN_FRAME) {
                            asyncSpin.note(spin, System.nanoTime() - t0); // from the last reply to this one
                        }
                        if (f == TURN_FRAME) {
                            synchronized (turn) {
                                turnRequested = false;
                                threadSticky = false;
                                threadReading = false;
                                turn.notifyAll(); // the caller that asked reads now
                            }
                            break;
                        }
                        listener.onReply(this, f);
                        if (callersWaiting > 0) {
                            synchronized (turn) {
                                turn.notifyAll(); // a caller waiting for the pipe may have just been answered
                            }
                        }
                    }
                }
            }
        } catch (ProtocolException e) {
            protocolError = e;
        } catch (IOException e) {
            // the pipe broke: the process is going away; its exit status says why
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // never: nobody interrupts this thread
        } catch (RuntimeException | Error e) {
            protocolError = new ProtocolException("reader failed: " + e);
        }
        if (report) {
            if (keeper != null) {
                endThreadTurn(true);
            }
            finish(protocolError);
        }
    }

    private void endThreadTurn(boolean ended) {
        synchronized (turn) {
            threadReading = false;
            threadSticky = false;
            endTurn(ended);
            turn.notifyAll(); // a caller may wait for the reader thread to finish
        }
    }

    /** Where possible, a write end of the worker's stdout pipe (see the class comment); otherwise null. */
    private static java.io.OutputStream openKeeper(long pid) {
        if (!CALLER_READS) {
            return null;
        }
        java.nio.file.Path stdout = java.nio.file.Path.of("/proc", Long.toString(pid), "fd", "1");
        try {
            if (!java.nio.file.Files.readSymbolicLink(stdout).toString().startsWith("pipe:")) {
                return null;
            }
            return new java.io.FileOutputStream(stdout.toFile());
        } catch (IOException | RuntimeException e) {
            return null; // no /proc (not Linux), or not allowed: the reader thread reads everything
        }
    }

    /** Ends the stream of a worker that has exited: our END frame, then our write end closes. */
    private void writeEnd() {
        synchronized (keeper) {
            try (java.io.OutputStream k = keeper) {
                k.write(ownFrame(Protocol.END));
            } catch (IOException e) {
                // nobody reads any more: the JDK closed the pipe when the process exited
            }
        }
    }

    /**
     * Caller holds {@code turn}: if the reader thread goes on reading replies and has not been asked to stop yet,
     * asks it (a few bytes into a pipe it is reading: does not block for long).
     */
    private void requestTurn() {
        if (threadSticky && !turnRequested) {
            turnRequested = true;
            writeTurn();
        }
    }

    /** Asks the reader thread to stop reading (see {@link #readReply}). */
    private void writeTurn() {
        synchronized (keeper) {
            try {
                keeper.write(ownFrame(Protocol.TURN));
            } catch (IOException e) {
                // closed: the worker has exited and the reader thread stops at END instead
            }
        }
    }

    /**
     * The nonce of our own frames, drawn on first use from a {@code SecureRandom}: its first use in a JVM sets up the
     * security providers (about 50 ms on this machine, 2026-11-22), which a worker's start should not wait for. A
     * frame that claims to be ours before we wrote one cannot match what is drawn after it.
     */
    private long nonce() {
        synchronized (turn) {
            if (!nonceDrawn) {
                endNonce = Nonces.RANDOM.nextLong();
                nonceDrawn = true;
            }
            return endNonce;
        }
    }

    private static final class Nonces {
        static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    }

    private byte[] ownFrame(byte type) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream(Protocol.HEADER_SIZE);
        try {
            new FrameWriter(b).write(type, 0, nonce());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return b.toByteArray();
    }

    private void output(Frame f) {
        boolean err = f.hasFlag(Protocol.FLAG_STDERR);
        if (err) {
            tail.append(f.payload, 0, f.length);
        }
        PrintStream target = err ? System.err : System.out;
        target.write(f.payload, 0, f.length);
        target.flush();
    }

    private void broken(Frame f) throws IOException {
        DataInputStream in = new DataInputStream(PayloadInput.of(f));
        brokenReason = Wire.readString(in);
        brokenCause = in.readBoolean() ? RemoteThrowable.read(in) : null;
    }

    private static void forwardJunk(byte[] junk) {
        if (junk.length > 0) {
            System.err.write(junk, 0, junk.length);
            System.err.flush();
        }
    }

    private void finish(ProtocolException protocolError) {
        if (keeper != null && protocolError != null && protocolError.getMessage().startsWith("no handshake: stream ended")) {
            byte[] junk = withoutSuffix(protocolError.garbage(), ownFrame(Protocol.END)); // our END is no junk of the worker's
            if (junk.length != protocolError.garbage().length) {
                protocolError = new ProtocolException("no handshake: stream ended after " + junk.length + " bytes", junk);
            }
        }
        if (protocolError != null) {
            // Garbage on the frame channel: a crash banner is followed by exit; raw writes by a live worker are not.
            if (!waitForExit(PROTOCOL_EXIT_WAIT_MILLIS)) {
                kill();
            }
            waitForExit(Long.MAX_VALUE);
            garbage = concat(protocolError.garbage(), drainAvailable(stdout));
            if (keeper != null) {
                garbage = withoutSuffix(garbage, ownFrame(Protocol.END));
            }
        } else if (!waitForExit(10_000)) {
            kill(); // stdout closed but the process lives on: do not leave it behind
        }
        report(protocolError);
    }

    /**
     * Reports the exit once. Normally the reader does it when stdout ends; if a grandchild process inherited the
     * worker's stdout, stdout never ends, so the process exit triggers it too, after a short wait for the reader.
     */
    private void report(ProtocolException protocolError) {
        if (!reported.compareAndSet(false, true)) {
            return;
        }
        waitForExit(Long.MAX_VALUE);
        try {
            stderrThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(process.getOutputStream());
        WorkerExit e = new WorkerExit(pid, process.exitValue(), tail.lastLines(), brokenReason, brokenCause,
                protocolError, garbage, killed);
        try {
            exitHook.accept(e);
        } catch (RuntimeException hookFailure) {
            // bookkeeping of the launcher (e.g. an archive file); the exit itself must still be reported
        }
        // The listener first: whoever waits for exit() (a failed start) then finds the exit fully accounted for,
        // and a close() that follows does not see it as a worker dying during shutdown.
        listener.onExit(this, e);
        exit.complete(e);
        ready.completeExceptionally(new IllegalStateException("worker exited"));
        handshake.completeExceptionally(new IllegalStateException("worker exited"));
    }

    private void watchExit(Thread readerThread) {
        if (keeper != null) {
            Thread waiter = new Thread(() -> {
                waitForExit(Long.MAX_VALUE);
                synchronized (turn) {
                    exited = true;
                    if (!callerReading && !threadReading && !streamEnded) {
                        threadTurn = true; // nobody reads: the reader thread reads what it left, up to END
                        turn.notifyAll();
                    }
                }
                writeEnd();
                try {
                    exit.get(READER_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    // not reported yet: report now
                }
                report(null); // no-op if the reader already reported
            }, "offload-exit-" + pid);
            waiter.setDaemon(true);
            waiter.start();
            return;
        }
        process.onExit().thenRun(() -> {
            Thread watcher = new Thread(() -> {
                try {
                    readerThread.join(READER_GRACE_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                report(null); // no-op if the reader already reported
            }, "offload-exit-" + pid);
            watcher.setDaemon(true);
            watcher.start();
        });
    }

    private boolean waitForExit(long millis) {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return process.waitFor(millis, TimeUnit.MILLISECONDS);
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

    /** What the exited worker left in the pipe, without blocking (a grandchild may hold the pipe open). */
    private static byte[] drainAvailable(InputStream in) {
        byte[] kept = new byte[MAX_GARBAGE];
        int n = 0;
        try {
            int a;
            while (n < MAX_GARBAGE && (a = in.available()) > 0) {
                int r = in.read(kept, n, Math.min(a, MAX_GARBAGE - n));
                if (r <= 0) {
                    break;
                }
                n += r;
            }
        } catch (IOException e) {
            // closed: keep what we have
        }
        return Arrays.copyOf(kept, n);
    }

    private static byte[] withoutSuffix(byte[] b, byte[] suffix) {
        int n = b.length - suffix.length;
        return n >= 0 && Arrays.equals(b, n, b.length, suffix, 0, suffix.length) ? Arrays.copyOf(b, n) : b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "worker pid " + pid;
    }
}
