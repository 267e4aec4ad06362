package dev.offload.internal.child;

import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.Protocol;
import java.io.IOException;
import java.io.OutputStream;

/**
 * What the worker's {@code System.out} and {@code System.err} write to: each flush becomes an OUTPUT frame
 * tagged with the call that is running, so printing can never corrupt the frame stream.
 */
final class OutputFrames extends OutputStream {
    private static final int CHUNK = 64 * 1024;

    private final FrameWriter writer;
    private final int flags;

    OutputFrames(FrameWriter writer, int flags) {
        this.writer = writer;
        this.flags = flags;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = Math.min(len, CHUNK);
            writer.write(Protocol.OUTPUT, flags, WorkerLoop.currentCall(), FrameBuffer.of(b, off, n, CHUNK));
            off += n;
            len -= n;
        }
    }
}
