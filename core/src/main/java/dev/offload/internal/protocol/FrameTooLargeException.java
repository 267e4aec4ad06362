package dev.offload.internal.protocol;

import java.io.IOException;

/** A payload being written would exceed the maximum frame size; nothing was sent. */
public final class FrameTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    public FrameTooLargeException(long atLeast, int max) {
        super("payload of at least " + atLeast + " bytes exceeds the maximum frame size of " + max + " bytes");
    }
}
