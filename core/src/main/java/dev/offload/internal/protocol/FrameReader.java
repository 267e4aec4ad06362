package dev.offload.internal.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads the handshake and frames (see {@link Protocol}) from a stream. Not thread-safe: one reader per stream.
 * Never allocates more than the maximum frame size for a payload, whatever the stream claims.
 */
public final class FrameReader {
    private final InputStream in;
    private final int maxFrameSize;
    private final byte[] header = new byte[Protocol.HEADER_SIZE];
    private final byte[] peek = new byte[Protocol.HEADER_SIZE];
    private final CRC32C crc = new CRC32C();
    private byte[] junk = new byte[0];

    private long spinNanos;
    private boolean yielding;

    public FrameReader(InputStream in, int maxFrameSize) {
        this.in = in;
        this.maxFrameSize = maxFrameSize;
    }

    /**
     * Before blocking for the next frame, polls for up to {@code nanos} whether bytes are already there: a thread
     * that keeps its CPU answers sooner than one woken from a blocking read, at the cost of burning that CPU.
     */
    public FrameReader spinBeforeBlocking(long nanos) {
        return spinBeforeBlocking(nanos, false);
    }

    /**
     * {@link #spinBeforeBlocking(long)}, {@code yielding} the processor between polls if another thread of this
     * machine is ready to run there: for a reader whose frame resumes a thread that may be waiting for that
     * processor.
     */
    public FrameReader spinBeforeBlocking(long nanos, boolean yielding) {
        this.spinNanos = nanos;
        this.yielding = yielding;
        return this;
    }

    /**
     * Reads up to and including the handshake, skipping anything before the magic, and returns the worker's pid.
     * What was skipped is kept in {@link #junk()}.
     */
    public long readHandshake() throws IOException {
        byte[] magic = Protocol.MAGIC;
        byte[] seen = new byte[Protocol.MAX_HANDSHAKE_JUNK + magic.length];
        int count = 0;
        while (count < magic.length || !endsWith(seen, count, magic)) {
            int b = in.read();
            if (b < 0) {
                junk = Arrays.copyOf(seen, count);
                throw new ProtocolException("no handshake: stream ended after " + count + " bytes", junk);
            }
            if (count == seen.length) {
                junk = Arrays.copyOf(seen, Protocol.MAX_HANDSHAKE_JUNK);
                throw new ProtocolException("no handshake within " + Protocol.MAX_HANDSHAKE_JUNK + " bytes", junk);
            }
            seen[count++] = (byte) b;
        }
        junk = Arrays.copyOf(seen, count - magic.length);
        byte[] rest = new byte[Protocol.HANDSHAKE_SIZE - magic.length];
        int n = in.readNBytes(rest, 0, rest.length);
        if (n < rest.length) {
            throw new ProtocolException("truncated handshake: stream ended after " + (magic.length + n) + " of "
                    + Protocol.HANDSHAKE_SIZE + " bytes", Arrays.copyOf(rest, n));
        }
        int version = ((rest[0] & 0xff) << 8) | (rest[1] & 0xff);
        if (version != Protocol.VERSION) {
            throw new ProtocolException("unsupported protocol version " + version + " (this side speaks "
                    + Protocol.VERSION + ")", rest);
        }
        return getLong(rest, 2);
    }

    private static boolean endsWith(byte[] b, int count, byte[] suffix) {
        return Arrays.equals(b, count - suffix.length, count, suffix, 0, suffix.length);
    }

    /** Bytes skipped before the handshake magic. */
    public byte[] junk() {
        return junk.clone();
    }

    /**
     * Whether the next frame that is not OUTPUT can be read now without waiting: it and every OUTPUT frame before it
     * are wholly buffered or in the pipe (so a frame larger than the pipe never is). A caller that polls for its
     * reply then reads through what the function printed without blocking; a function that printed and is still
     * working leaves it polling. On a stream without mark support (a process's output has it), whether any byte is
     * there. Must not be called while another thread reads.
     */
    public boolean frameReady() throws IOException {
        int available = in.available();
        if (available == 0 || !in.markSupported()) {
            return available > 0;
        }
        if (available < Protocol.HEADER_SIZE) {
            return false;
        }
        in.mark(available);
        try {
            long left = available;
            while (left >= Protocol.HEADER_SIZE) {
                if (in.readNBytes(peek, 0, Protocol.HEADER_SIZE) < Protocol.HEADER_SIZE) {
                    return true; // the stream ends here: the read finds out
                }
                long length = getInt(peek, 4) & 0xffffffffL;
                if (left < Protocol.HEADER_SIZE + length) {
                    return false;
                }
                if (peek[2] != Protocol.OUTPUT) {
                    return true;
                }
                in.skipNBytes(length);
                left -= Protocol.HEADER_SIZE + length;
            }
            return false;
        } finally {
            in.reset();
        }
    }

    /**
     * Reads the next frame, or returns {@code null} at end of stream on a frame boundary.
     *
     * @throws ProtocolException if the stream ends inside a frame, or the frame is garbage, of an unknown type,
     *     larger than the maximum, or fails its checksum
     */
    public Frame read() throws IOException {
        if (spinNanos > 0 && in.available() == 0) {
            long end = System.nanoTime() + spinNanos;
            while (in.available() == 0 && System.nanoTime() - end < 0) {
                if (yielding) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
        int n = in.readNBytes(header, 0, Protocol.HEADER_SIZE);
        if (n == 0) {
            return null;
        }
        int marker = ((header[0] & 0xff) << 8) | (n > 1 ? header[1] & 0xff : 0);
        if (n < 2 || marker != Protocol.MARKER) {
            if (n < 2 && (header[0] & 0xff) == Protocol.MARKER >>> 8) {
                throw truncated(n, "header");
            }
            throw new ProtocolException(String.format("garbage in frame stream: expected marker 0x%04x, read 0x%04x",
                    Protocol.MARKER, marker), Arrays.copyOf(header, n));
        }
        if (n < Protocol.HEADER_SIZE) {
            throw truncated(n, "header");
        }
        byte type = header[2];
        if (!Protocol.isKnownType(type)) {
            throw new ProtocolException(String.format("unknown frame type 0x%02x", type & 0xff), header.clone());
        }
        int length = getInt(header, 4);
        if (length < 0 || length > maxFrameSize) {
            throw new ProtocolException("frame of " + (length & 0xffffffffL) + " bytes exceeds the maximum frame size of "
                    + maxFrameSize + " bytes", header.clone());
        }
        if ((header[3] & Protocol.FLAG_SPLIT) != 0) {
            return readSplit(type, length);
        }
        byte[] payload = new byte[length];
        int got = in.readNBytes(payload, 0, length);
        if (got < length) {
            throw new ProtocolException("truncated frame: stream ended after " + got + " of " + length
                    + " payload bytes of a " + Protocol.typeName(type) + " frame", header.clone());
        }
        crc.reset();
        crc.update(header, 0, 16);
        crc.update(payload, 0, length);
        int expected = getInt(header, 16);
        int actual = (int) crc.getValue();
        if (expected != actual) {
            throw new ProtocolException(String.format("checksum mismatch in a %s frame of %d bytes: header says 0x%08x,"
                    + " payload gives 0x%08x", Protocol.typeName(type), length, expected, actual), header.clone());
        }
        return new Frame(type, header[3] & 0xff, getLong(header, 8), payload, length);
    }

    /** The rest of a split frame: head length, head and tail, each read into its own array. */
    private Frame readSplit(byte type, int length) throws IOException {
        byte[] headLength = new byte[4];
        if (length < 4 || in.readNBytes(headLength, 0, 4) < 4) {
            throw new ProtocolException("truncated split frame: no head length in a " + Protocol.typeName(type)
                    + " frame of " + length + " bytes", header.clone());
        }
        int head = getInt(headLength, 0);
        if (head < 0 || head > length - 4) {
            throw new ProtocolException("split frame with a head of " + head + " bytes in a payload of " + length,
                    header.clone());
        }
        byte[] payload = new byte[head];
        byte[] tail = new byte[length - 4 - head];
        int got = in.readNBytes(payload, 0, head);
        got += got < head ? 0 : in.readNBytes(tail, 0, tail.length);
        if (got < length - 4) {
            throw new ProtocolException("truncated frame: stream ended after " + (4 + got) + " of " + length
                    + " payload bytes of a " + Protocol.typeName(type) + " frame", header.clone());
        }
        crc.reset();
        crc.update(header, 0, 16);
        crc.update(headLength, 0, 4);
        crc.update(payload, 0, head);
        crc.update(tail, 0, tail.length);
        int expected = getInt(header, 16);
        int actual = (int) crc.getValue();
        if (expected != actual) {
            throw new ProtocolException(String.format("checksum mismatch in a %s frame of %d bytes: header says 0x%08x,"
                    + " payload gives 0x%08x", Protocol.typeName(type), length, expected, actual), header.clone());
        }
        return new Frame(type, header[3] & 0xff, getLong(header, 8), payload, head, tail);
    }

    private ProtocolException truncated(int n, String part) {
        return new ProtocolException("truncated frame: stream ended after " + n + " of " + Protocol.HEADER_SIZE
                + " " + part + " bytes", Arrays.copyOf(header, n));
    }

    static int getInt(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    static long getLong(byte[] b, int at) {
        return ((long) getInt(b, at) << 32) | (getInt(b, at + 4) & 0xffffffffL);
    }
}
