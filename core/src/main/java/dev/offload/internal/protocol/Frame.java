package dev.offload.internal.protocol;

/**
 * One frame read from a stream. The payload array is owned by the frame and only {@code length} bytes of it
 * are meaningful.
 */
public final class Frame {
    public final byte type;
    public final int flags;
    public final long callId;
    public final byte[] payload;
    public final int length;

    public Frame(byte type, int flags, long callId, byte[] payload, int length) {
        this.type = type;
        this.flags = flags;
        this.callId = callId;
        this.payload = payload;
        this.length = length;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return Protocol.typeName(type) + "(call " + callId + ", flags " + flags + ", " + length + " bytes)";
    }
}
