package dev.offload.internal.protocol;

/**
 * One frame read from a stream. The payload array is owned by the frame and only {@code length} bytes of it
 * are meaningful; a split frame ({@link Protocol#FLAG_SPLIT}) has the rest of its payload in {@code tail}.
 */
public final class Frame {
    public final byte type;
    public final int flags;
    public final long callId;
    public final byte[] payload;
    public final int length;
    /** The payload's tail, or null. */
    public final byte[] tail;

    public Frame(byte type, int flags, long callId, byte[] payload, int length) {
        this(type, flags, callId, payload, length, null);
    }

    public Frame(byte type, int flags, long callId, byte[] payload, int length, byte[] tail) {
        this.type = type;
        this.flags = flags;
        this.callId = callId;
        this.payload = payload;
        this.length = length;
        this.tail = tail;
    }

    /** Payload bytes, the tail's included. */
    public long size() {
        return (long) length + (tail == null ? 0 : tail.length);
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return Protocol.typeName(type) + "(call " + callId + ", flags " + flags + ", " + size() + " bytes)";
    }
}
