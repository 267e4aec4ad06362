package dev.offload.internal.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable payload buffer with room for the frame header in front, so that a codec writes its bytes once
 * and the writer sends header and payload with one {@code write}.
 */
public final class FrameBuffer extends OutputStream {
    private final int maxPayload;
    private byte[] buf;
    private int end = Protocol.HEADER_SIZE;

    public FrameBuffer(int maxPayload) {
        this(maxPayload, 256);
    }

    public FrameBuffer(int maxPayload, int initialCapacity) {
        this.maxPayload = maxPayload;
        this.buf = new byte[Protocol.HEADER_SIZE + Math.max(16, Math.min(initialCapacity, maxPayload))];
    }

    /** A buffer holding a copy of {@code payload}. */
    public static FrameBuffer of(byte[] payload, int off, int len, int maxPayload) throws FrameTooLargeException {
        FrameBuffer b = new FrameBuffer(maxPayload, len);
        b.write(payload, off, len);
        return b;
    }

    @Override
    public void write(int b) throws FrameTooLargeException {
        ensure(1);
        buf[end++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws FrameTooLargeException {
        ensure(len);
        System.arraycopy(b, off, buf, end, len);
        end += len;
    }

    private void ensure(int more) throws FrameTooLargeException {
        long needed = (long) end + more;
        if (needed - Protocol.HEADER_SIZE > maxPayload) {
            throw new FrameTooLargeException(needed - Protocol.HEADER_SIZE, maxPayload);
        }
        if (needed > buf.length) {
            long grown = Math.max(needed, Math.min((long) buf.length * 2, (long) maxPayload + Protocol.HEADER_SIZE));
            buf = Arrays.copyOf(buf, (int) grown);
        }
    }

    /** Payload bytes written so far. */
    public int payloadLength() {
        return end - Protocol.HEADER_SIZE;
    }

    /** Discards the payload, keeping the storage. */
    public void reset() {
        end = Protocol.HEADER_SIZE;
    }

    /** The backing array: header space at 0, payload from {@link Protocol#HEADER_SIZE}. */
    byte[] array() {
        return buf;
    }

    @Override
    public void close() throws IOException {
        // nothing to release
    }
}
