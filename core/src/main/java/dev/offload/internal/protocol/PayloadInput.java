package dev.offload.internal.protocol;

import java.io.InputStream;
import java.util.Objects;

/**
 * A frame's payload as a stream, its tail included. Unlike {@link java.io.ByteArrayInputStream} it takes no lock per
 * byte, which a {@link java.io.DataInputStream} reading integers byte by byte would pay on every call.
 */
public final class PayloadInput extends InputStream {
    private byte[] buf;
    private int end;
    private int pos;
    /** The frame's tail while the head is being read; null once reading has moved on to it, or without one. */
    private byte[] tail;

    public PayloadInput(byte[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    /** The payload of {@code f}. */
    public static PayloadInput of(Frame f) {
        PayloadInput in = new PayloadInput(f.payload, 0, f.length);
        in.tail = f.tail;
        return in;
    }

    /**
     * If all that is left is a tail of exactly {@code n} bytes, takes it: the caller owns the array from now on.
     * Otherwise null, and the bytes are to be read as usual.
     */
    public byte[] takeTail(int n) {
        byte[] t = tail;
        if (t == null || pos < end || t.length != n) {
            return null;
        }
        tail = null;
        buf = t;
        pos = end = t.length;
        return t;
    }

    /** At the end of the head, moves on to the tail; false at the end of the payload. */
    private boolean more() {
        if (pos < end) {
            return true;
        }
        if (tail == null) {
            return false;
        }
        buf = tail;
        pos = 0;
        end = tail.length;
        tail = null;
        return pos < end;
    }

    @Override
    public int read() {
        return pos < end || more() ? buf[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (pos >= end && !more()) {
            return -1;
        }
        int n = Math.min(len, end - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        if (pos >= end && !more()) {
            return 0;
        }
        long k = Math.max(0, Math.min(n, end - pos));
        pos += (int) k;
        return k;
    }

    @Override
    public int available() {
        return end - pos + (tail == null ? 0 : tail.length);
    }
}
