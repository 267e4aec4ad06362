package dev.offload.internal.process;

import dev.offload.BrokenWorkerException;
import dev.offload.internal.ExceptionRebuilder;
import dev.offload.internal.Secrets;
import dev.offload.internal.protocol.Frame;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FrameReader;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.Protocol;
import dev.offload.internal.protocol.ProtocolException;
import dev.offload.internal.protocol.RemoteThrowable;
import dev.offload.internal.protocol.Wire;
import java.io.ByteArrayInputStream;
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
 * One worker process and its pipes. A reader thread takes its frames (forwarding what the function printed,
 * handing replies to the {@link Listener}) and, when the stream ends or breaks, makes sure the process is gone,
 * reaps it and reports a {@link WorkerExit}. A pump thread drains its stderr. Nothing here is per call.
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

    private ProcessWorker(Process process, int maxFrameSize, Listener listener) {
        this.process = process;
        this.pid = process.pid();
        this.listener = listener;
        this.stdout = process.getInputStream();
        this.reader = new FrameReader(stdout, maxFrameSize);
        this.writer = new FrameWriter(process.getOutputStream());
        this.stderrThread = new Thread(new StderrPump(process.getErrorStream(), tail), "offload-stderr-" + pid);
        stderrThread.setDaemon(true);
    }

    /**
     * Starts a worker and waits until it is ready: handshake done and, if {@code configure} is given, init run.
     *
     * @throws BrokenWorkerException if it cannot be launched, exits, breaks the protocol, or is not ready within
     *     {@code startupTimeout} (it is then killed)
     */
    public static ProcessWorker start(Launcher launcher, FrameBuffer configure, Duration startupTimeout,
            int maxFrameSize, long spinNanos, Listener listener) {
        Launcher.Launched launched;
        try {
            launched = launcher.launch();
        } catch (IOException e) {
            throw Secrets.broken("cannot start a worker process: " + e.getMessage(), -1, null, null, "", e);
        }
        ProcessWorker w = new ProcessWorker(launched.process, maxFrameSize, listener);
        w.reader.spinBeforeBlocking(spinNanos);
        w.exitHook = launched.exited;
        listener.onStarted(w);
        w.stderrThread.start();
        Thread readerThread = new Thread(w::readLoop, "offload-worker-" + w.pid);
        readerThread.setDaemon(true);
        readerThread.start();
        w.watchExit(readerThread);
        try {
            if (configure == null) {
                w.awaitHandshake(startupTimeout);
            } else {
                long deadline = System.nanoTime() + startupTimeout.toNanos();
                w.awaitHandshake(startupTimeout);
                w.writer.write(Protocol.CONFIGURE, 0, 0, configure);
                w.awaitReady(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            return w;
        } catch (IOException e) {
            w.kill();
            throw w.startFailure("could not configure the worker: " + e);
        } finally {
            launched.cleanup.run();
        }
    }

    private final CompletableFuture<Void> handshake = new CompletableFuture<>();

    private void awaitHandshake(Duration timeout) {
        await(handshake, timeout, "complete its handshake");
    }

    private void awaitReady(Duration timeout) {
        await(ready, timeout, "become ready");
    }

    private void await(CompletableFuture<Void> f, Duration timeout, String what) {
        try {
            CompletableFuture.anyOf(f, exit).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (!f.isDone() || f.isCompletedExceptionally()) {
                throw startFailure(null);
            }
        } catch (TimeoutException e) {
            kill();
            throw startFailure("did not " + what + " within " + timeout + " and was killed");
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
                + (e != null ? e.describe("") : "it did not exit");
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

    /** Sends a request frame: CALL, SLOT_CALL or SLOT_RELEASE. */
    public void send(byte type, long callId, FrameBuffer request) throws IOException {
        writer.write(type, 0, callId, request);
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

    private void readLoop() {
        ProtocolException protocolError = null;
        try {
            reader.readHandshake();
            forwardJunk(reader.junk());
            handshake.complete(null);
            for (;;) {
                Frame f = reader.read();
                if (f == null) {
                    break;
                }
                switch (f.type) {
                    case Protocol.OUTPUT:
                        output(f);
                        break;
                    case Protocol.READY:
                        ready.complete(null);
                        break;
                    case Protocol.BROKEN:
                        broken(f);
                        break;
                    case Protocol.RESULT:
                    case Protocol.ERROR:
                        listener.onReply(this, f);
                        break;
                    default:
                        throw new ProtocolException("unexpected " + Protocol.typeName(f.type) + " frame from a worker");
                }
            }
        } catch (ProtocolException e) {
            protocolError = e;
        } catch (IOException e) {
            // the pipe broke: the process is going away; its exit status says why
        } catch (RuntimeException | Error e) {
            protocolError = new ProtocolException("reader failed: " + e);
        } finally {
            finish(protocolError);
        }
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
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(f.payload, 0, f.length));
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
        if (protocolError != null) {
            // Garbage on the frame channel: a crash banner is followed by exit; raw writes by a live worker are not.
            if (!waitForExit(PROTOCOL_EXIT_WAIT_MILLIS)) {
                kill();
            }
            waitForExit(Long.MAX_VALUE);
            garbage = concat(protocolError.garbage(), drainAvailable(stdout));
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
        exit.complete(e);
        ready.completeExceptionally(new IllegalStateException("worker exited"));
        handshake.completeExceptionally(new IllegalStateException("worker exited"));
        try {
            exitHook.accept(e);
        } catch (RuntimeException hookFailure) {
            // bookkeeping of the launcher (e.g. an archive file); the exit itself must still be reported
        }
        listener.onExit(this, e);
    }

    private void watchExit(Thread readerThread) {
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
