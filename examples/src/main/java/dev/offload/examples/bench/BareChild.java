package dev.offload.examples.bench;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The baselines' child JVM: plain JDK code, no Offload. It speaks length-prefixed frames (a 4-byte big-endian
 * length, then that many bytes) on stdin and stdout, and writes each frame with one {@code write}.
 *
 * <ul>
 *   <li>{@code echo}: sends a 16-byte ready frame, then echoes every frame until EOF (the transport's limit);</li>
 *   <li>{@code echo-poll}: the same, polling stdin for up to {@link #POLL_NANOS} before each blocking read, as
 *       Offload's workers do while spinning;</li>
 *   <li>{@code spin}: sends a ready frame, then for each frame holding a {@code long} runs
 *       {@link BenchFns#spin} and replies with the result (CPU scaling without Offload);</li>
 *   <li>{@code once}: reads one frame holding an {@code int}, replies with {@link BenchFns#inc} of it and exits
 *       (the naive one-JVM-per-call approach).</li>
 * </ul>
 */
public final class BareChild {
    static final int READY_LENGTH = 16;
    /** How long a polling side polls before it blocks: Offload's adaptive spin (Protocol.ADAPTIVE_SPIN_NANOS). */
    static final long POLL_NANOS = 30_000;

    private BareChild() {}

    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16));
        FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        String mode = args.length > 0 ? args[0] : "echo";
        if (mode.equals("once")) {
            byte[] request = readFrame(in);
            int x = ByteBuffer.wrap(request).getInt();
            out.write(frame(ByteBuffer.allocate(4).putInt(BenchFns.inc(x)).array(), 4));
            return;
        }
        out.write(frame(new byte[READY_LENGTH], READY_LENGTH)); // ready
        byte[] buffer = new byte[4 + 64];
        while (true) {
            if (mode.equals("echo-poll")) {
                poll(in, POLL_NANOS);
            }
            int length;
            try {
                length = in.readInt();
            } catch (EOFException e) {
                return;
            }
            if (buffer.length < 4 + length) {
                buffer = new byte[4 + length];
            }
            in.readFully(buffer, 4, length);
            if (mode.equals("spin")) {
                long result = BenchFns.spin(ByteBuffer.wrap(buffer, 4, 8).getLong());
                ByteBuffer.wrap(buffer, 4, 8).putLong(result);
            }
            ByteBuffer.wrap(buffer, 0, 4).putInt(length);
            out.write(buffer, 0, 4 + length);
        }
    }

    /** Polls {@code in} until it has bytes to read or {@code nanos} have passed. */
    static void poll(java.io.InputStream in, long nanos) throws IOException {
        long end = System.nanoTime() + nanos;
        while (in.available() == 0 && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return payload;
    }

    private static byte[] frame(byte[] payload, int length) {
        return ByteBuffer.allocate(4 + length).putInt(length).put(payload, 0, length).array();
    }
}
