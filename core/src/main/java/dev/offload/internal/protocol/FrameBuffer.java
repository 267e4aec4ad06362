package dev.offload.internal.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable payload buffer with room for the frame header in front, so that a codec writes its bytes once
 * and the writer sends header and payload with one {@code write}.
 *
 * <p>A large byte array that ends the payload may be kept by reference instead ({@link #writeLarge}, where
 * {@link #allowTail()} was called): it is then sent as the frame's tail ({@link Protocol#FLAG_SPLIT}) straight from
 * the caller's array, and the reading side can take it as the decoded array, so neither side copies it.
 */
public final class FrameBuffer extends OutputStream {
    /** Arrays at least this long are worth sending as a tail. */
    public static final int TAIL_MIN = 64 * 1024;

    private final int maxPayload;
    private byte[] buf;
    private int end = Protocol.HEADER_SIZE;
    private boolean tailAllowed;
    private byte[] tail;

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

    /**
     * Lets {@link #writeLarge} keep arrays by reference: only where nobody changes them before the frame is sent.
     *
     * @return this buffer
     */
    public FrameBuffer allowTail() {
        tailAllowed = true;
        return this;
    }

    /** Appends {@code b}: by reference if allowed and large (and nothing else is written after it), else copied. */
    public void writeLarge(byte[] b) throws FrameTooLargeException {
        if (tailAllowed && tail == null && b.length >= TAIL_MIN) {
            if ((long) payloadLength() + b.length > maxPayload) {
                throw new FrameTooLargeException((long) payloadLength() + b.length, maxPayload);
            }
            tail = b;
        } else {
            write(b, 0, b.length);
        }
    }

    /** The array to send after the head, or null. */
    byte[] tail() {
        return tail;
    }

    /** Payload bytes in the buffer itself (those before the tail). */
    int headLength() {
        return end - Protocol.HEADER_SIZE;
    }

    private void copyTail() throws FrameTooLargeException {
        byte[] t = tail;
        tail = null; // something follows it after all: it becomes ordinary payload
        write(t, 0, t.length);
    }

    @Override
    public void write(int b) throws FrameTooLargeException {
        if (tail != null) {
            copyTail();
        }
        ensure(1);
        buf[end++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws FrameTooLargeException {
        if (tail != null) {
            copyTail();
        }
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
        return end - Protocol.HEADER_SIZE + (tail == null ? 0 : tail.length);
    }

    /** Overwrites four payload bytes at {@code payloadOffset} (already written) with {@code value}, big-endian. */
    public void setInt(int payloadOffset, int value) {
        int p = Protocol.HEADER_SIZE + payloadOffset;
        if (payloadOffset < 0 || p + 4 > end) {
            throw new IndexOutOfBoundsException("offset " + payloadOffset + " of a " + payloadLength() + "-byte payload");
        }
        buf[p] = (byte) (value >>> 24);
        buf[p + 1] = (byte) (value >>> 16);
        buf[p + 2] = (byte) (value >>> 8);
        buf[p + 3] = (byte) value;
    }

    /** Writes the payload written so far (tail included) to {@code out}. */
    public void writeTo(java.io.OutputStream out) throws IOException {
        out.write(buf, Protocol.HEADER_SIZE, end - Protocol.HEADER_SIZE);
        if (tail != null) {
            out.write(tail);
        }
    }

    /** Discards the payload, keeping the storage (but not a tail). */
    public void reset() {
        end = Protocol.HEADER_SIZE;
        tail = null;
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
