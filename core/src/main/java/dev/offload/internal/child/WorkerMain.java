package dev.offload.internal.child;

import dev.offload.internal.protocol.FrameReader;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.Protocol;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;

/**
 * The worker JVM's main class. Uses java.base and our protocol package only, so it starts fast.
 *
 * <p>Arguments: parent pid, parent start instant (epoch ms, 0 if unknown), maximum frame size. Before any user
 * code runs it keeps the real stdout for frames, reroutes {@code System.out}/{@code System.err} into OUTPUT
 * frames, empties {@code System.in}, ignores SIGINT (Ctrl+C belongs to the parent), writes the handshake and
 * starts the parent watchdog. It exits 0 on EOF on stdin.
 */
public final class WorkerMain {
    private WorkerMain() {}

    /**
     * The worker's {@code System.out} and {@code System.err}: they belong to every call this worker runs, so a
     * function that closes one (directly, or through a try-with-resources around it) only flushes it.
     */
    private static final class Unclosable extends PrintStream {
        Unclosable(java.io.OutputStream out) {
            super(out, true);
        }

        @Override
        public void close() {
            flush();
        }
    }

    public static void main(String[] args) throws IOException {
        long parentPid = Long.parseLong(args[0]);
        long parentStart = Long.parseLong(args[1]);
        int maxFrameSize = Integer.parseInt(args[2]);

        FrameWriter writer = new FrameWriter(new FileOutputStream(FileDescriptor.out));
        System.setOut(new Unclosable(new BufferedOutputStream(new OutputFrames(writer, 0), 8192)));
        System.setErr(new Unclosable(new BufferedOutputStream(new OutputFrames(writer, Protocol.FLAG_STDERR), 8192)));
        FrameReader reader = new FrameReader(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 65536),
                maxFrameSize).spinBeforeBlocking(Long.getLong("offload.spinNanos", 0));
        System.setIn(new ByteArrayInputStream(new byte[0]));
        writer.writeHandshake(ownPid());
        // Off the path to the first call where there is a watchdog thread: the reflection costs a fresh JVM 1-2 ms.
        Runnable ignore = new IgnoreSigint(); // a class, not a lambda: the first lambda costs a fresh JVM ~10 ms
        if (!ParentWatchdog.start(parentPid, parentStart, ignore)) {
            ignore.run();
        }

        int status;
        try {
            status = new WorkerLoop(reader, writer, maxFrameSize).run();
        } catch (IOException e) {
            // The parent went away or broke the protocol; nobody is left to read a reply.
            new PrintStream(new FileOutputStream(FileDescriptor.err), true).println("offload worker: " + e);
            status = WorkerLoop.EXIT_PROTOCOL;
        } catch (Throwable t) {
            // The loop itself failed (e.g. out of memory reading a frame): never linger with a dead main thread.
            Runtime.getRuntime().halt(WorkerLoop.EXIT_FATAL);
            return;
        }
        if (status == WorkerLoop.EXIT_FATAL) {
            Runtime.getRuntime().halt(status); // shutdown hooks might need the memory that ran out
        }
        System.exit(status);
    }

    /**
     * This process's pid, read cheaply: initialising ProcessHandle spins up lambdas and costs milliseconds, and so
     * does the first use of java.nio.file (2.5 ms against 0.2 for java.io in a fresh JVM, measured 2026-11-22).
     */
    private static long ownPid() {
        try {
            return Long.parseLong(new java.io.File("/proc/self").getCanonicalFile().getName());
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.current().pid();
        }
    }

    private static final class IgnoreSigint implements Runnable {
        @Override
        public void run() {
            ignoreSigint();
        }
    }

    /** SIGINT goes to the whole foreground process group; only the parent should react to Ctrl+C. */
    private static void ignoreSigint() {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object ignore = handler.getField("SIG_IGN").get(null);
            Object sigint = signal.getConstructor(String.class).newInstance("INT");
            signal.getMethod("handle", signal, handler).invoke(null, sigint, ignore);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Not available on this JVM: the worker still dies with the parent through the watchdog.
        }
    }
}
