package dev.offload.internal.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32C;

/**
 * Writes frames (see {@link Protocol}) to a stream, each with a single {@code write} call. Thread-safe: frames
 * from concurrent writers never interleave.
 */
public final class FrameWriter {
    private final OutputStream out;
    private final CRC32C crc = new CRC32C();

    public FrameWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes the handshake for a worker with the given pid. */
    public synchronized void writeHandshake(long pid) throws IOException {
        byte[] h = new byte[Protocol.HANDSHAKE_SIZE];
        System.arraycopy(Protocol.MAGIC, 0, h, 0, Protocol.MAGIC.length);
        int p = Protocol.MAGIC.length;
        h[p] = (byte) (Protocol.VERSION >>> 8);
        h[p + 1] = (byte) Protocol.VERSION;
        putLong(h, p + 2, pid);
        out.write(h);
        out.flush();
    }

    /** Writes one frame whose payload is in {@code buffer}. */
    public synchronized void write(byte type, int flags, long callId, FrameBuffer buffer) throws IOException {
        if (buffer.tail() != null) {
            writeSplit(type, flags, callId, buffer);
            return;
        }
        byte[] b = buffer.array();
        int len = buffer.payloadLength();
        b[0] = (byte) (Protocol.MARKER >>> 8);
        b[1] = (byte) Protocol.MARKER;
        b[2] = type;
        b[3] = (byte) flags;
        putInt(b, 4, len);
        putLong(b, 8, callId);
        crc.reset();
        crc.update(b, 0, 16);
        crc.update(b, Protocol.HEADER_SIZE, len);
        putInt(b, 16, (int) crc.getValue());
        out.write(b, 0, Protocol.HEADER_SIZE + len);
        out.flush();
    }

    /** A frame whose payload ends in a tail array: header, head length and head in one write, then the tail. */
    private void writeSplit(byte type, int flags, long callId, FrameBuffer buffer) throws IOException {
        int head = buffer.headLength();
        byte[] tail = buffer.tail();
        byte[] first = new byte[Protocol.HEADER_SIZE + 4 + head];
        first[0] = (byte) (Protocol.MARKER >>> 8);
        first[1] = (byte) Protocol.MARKER;
        first[2] = type;
        first[3] = (byte) (flags | Protocol.FLAG_SPLIT);
        putInt(first, 4, 4 + head + tail.length);
        putLong(first, 8, callId);
        putInt(first, Protocol.HEADER_SIZE, head);
        System.arraycopy(buffer.array(), Protocol.HEADER_SIZE, first, Protocol.HEADER_SIZE + 4, head);
        crc.reset();
        crc.update(first, 0, 16);
        crc.update(first, Protocol.HEADER_SIZE, 4 + head);
        crc.update(tail, 0, tail.length);
        putInt(first, 16, (int) crc.getValue());
        out.write(first);
        out.write(tail);
        out.flush();
    }

    /** Writes one frame with an empty payload. */
    public void write(byte type, int flags, long callId) throws IOException {
        write(type, flags, callId, new FrameBuffer(0, 0));
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }
}
