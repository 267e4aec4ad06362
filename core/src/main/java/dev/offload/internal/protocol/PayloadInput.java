package dev.offload.internal.protocol;

import java.io.InputStream;
import java.util.Objects;

/**
 * A frame's payload as a stream. Unlike {@link java.io.ByteArrayInputStream} it takes no lock per byte, which a
 * {@link java.io.DataInputStream} reading integers byte by byte would pay on every call.
 */
public final class PayloadInput extends InputStream {
    private final byte[] buf;
    private final int end;
    private int pos;

    public PayloadInput(byte[] buf, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buf.length);
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    /** The payload of {@code f}. */
    public static PayloadInput of(Frame f) {
        return new PayloadInput(f.payload, 0, f.length);
    }

    @Override
    public int read() {
        return pos < end ? buf[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        if (pos >= end) {
            return -1;
        }
        int n = Math.min(len, end - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long k = Math.max(0, Math.min(n, end - pos));
        pos += (int) k;
        return k;
    }

    @Override
    public int available() {
        return end - pos;
    }
}
