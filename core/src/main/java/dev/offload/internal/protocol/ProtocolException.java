package dev.offload.internal.protocol;

import java.io.IOException;

/** The byte stream from a worker is not a valid frame stream: truncated, oversized, unknown or garbage. */
public final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    private final byte[] garbage;

    public ProtocolException(String message) {
        this(message, new byte[0]);
    }

    public ProtocolException(String message, byte[] garbage) {
        super(message);
        this.garbage = garbage.clone();
    }

    /** The bytes that could not be read as a frame (may be empty), for reports. */
    public byte[] garbage() {
        return garbage.clone();
    }
}
