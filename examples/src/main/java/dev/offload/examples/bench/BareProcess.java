package dev.offload.examples.bench;

import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The parent's side of a {@link BareChild}: starts it with plain {@link ProcessBuilder} and trades frames. */
public final class BareProcess implements AutoCloseable {
    private final Process process;
    private final DataInputStream in;
    private final OutputStream out;
    private byte[] reply = new byte[64];

    private BareProcess(Process process) {
        this.process = process;
        this.in = new DataInputStream(process.getInputStream());
        this.out = process.getOutputStream();
    }

    /** The command that starts a bare child: this JVM's {@code java}, default flags, only the harness's classes. */
    static List<String> command(String mode) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-classpath");
        command.add(ownClasspath());
        command.add(BareChild.class.getName());
        command.add(mode);
        return command;
    }

    private static String ownClasspath() {
        try {
            return new File(BareChild.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Process launch(String mode) throws IOException {
        return new ProcessBuilder(command(mode)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Starts a child in {@code echo} or {@code spin} mode and waits for its ready frame. */
    static BareProcess start(String mode) throws IOException {
        BareProcess p = new BareProcess(launch(mode));
        p.readFrame();
        return p;
    }

    /**
     * The naive approach: a new JVM for one call. Starts a {@code once} child, sends {@code x}, reads
     * {@code x + 1} back and waits for the process to exit.
     */
    static int naiveCall(int x) throws IOException, InterruptedException {
        Process p = launch("once");
        try (BareProcess once = new BareProcess(p)) {
            byte[] frame = new byte[8];
            ByteBuffer.wrap(frame, 4, 4).putInt(x);
            once.roundTrip(frame, 4);
            int result = ByteBuffer.wrap(once.reply, 0, 4).getInt();
            p.waitFor();
            return result;
        }
    }

    long pid() {
        return process.pid();
    }

    /** Writes one frame (header and payload in one write) and flushes it. */
    void writeFrame(byte[] frameWithHeader, int payloadLength) throws IOException {
        ByteBuffer.wrap(frameWithHeader, 0, 4).putInt(payloadLength);
        out.write(frameWithHeader, 0, 4 + payloadLength);
        out.flush();
    }

    /** Reads one frame; returns its payload length (the payload is in {@link #reply()}). */
    int readFrame() throws IOException {
        int length = in.readInt();
        if (reply.length < length) {
            reply = new byte[length];
        }
        in.readFully(reply, 0, length);
        return length;
    }

    /**
     * Whether a whole 16-byte echo frame is waiting to be read, without blocking: what a single thread serving
     * several children must ask before it reads from one of them (the JDK has no non-blocking pipe read).
     */
    boolean echoWaiting() throws IOException {
        return in.available() >= 4 + 16;
    }

    byte[] reply() {
        return reply;
    }

    /** One round trip of a frame already laid out with room for its header. */
    int roundTrip(byte[] frameWithHeader, int payloadLength) throws IOException {
        writeFrame(frameWithHeader, payloadLength);
        return readFrame();
    }

    /** {@link #roundTrip}, polling for the reply for up to {@link BareChild#POLL_NANOS} before blocking. */
    int pollingRoundTrip(byte[] frameWithHeader, int payloadLength) throws IOException {
        writeFrame(frameWithHeader, payloadLength);
        BareChild.poll(in, BareChild.POLL_NANOS);
        return readFrame();
    }

    /** Runs {@link BenchFns#spin} in a {@code spin} child. */
    long spin(long iterations) throws IOException {
        byte[] frame = new byte[12];
        ByteBuffer.wrap(frame, 4, 8).putLong(iterations);
        roundTrip(frame, 8);
        return ByteBuffer.wrap(reply, 0, 8).getLong();
    }

    /** EOF on stdin, then waits for the exit (killing it after a second). */
    @Override
    public void close() throws IOException {
        out.close();
        try {
            if (!process.waitFor(1, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
