package dev.offload.examples.bench.micro;

import dev.offload.internal.protocol.Frame;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FrameReader;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What framing costs one frame, with no pipe: a 16-byte payload written by {@link FrameWriter} (header, CRC32C, one
 * write) into memory and read back by {@link FrameReader} (header, payload, checksum check). A call is two frames.
 * Reported by the harness (see {@code Benchmarks.micro}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FrameBench {
    private final Loop loop = new Loop();
    private final FrameWriter writer = new FrameWriter(loop);
    private final FrameReader reader = new FrameReader(loop.in, 1 << 20);
    private final FrameBuffer buffer = new FrameBuffer(1 << 20);
    private final byte[] payload = new byte[16];
    private long id;

    /** A stream that hands back what was written to it: one frame at a time. */
    static final class Loop extends OutputStream {
        private final byte[] bytes = new byte[Protocol.HEADER_SIZE + 1024];
        private int end;
        private int pos;
        private final InputStream in = new InputStream() {
            @Override
            public int read() {
                return pos < end ? bytes[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= end) {
                    return -1;
                }
                int n = Math.min(len, end - pos);
                System.arraycopy(bytes, pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public int available() {
                return end - pos;
            }
        };

        @Override
        public void write(int b) {
            bytes[end++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            System.arraycopy(b, off, bytes, end, len);
            end += len;
        }

        void rewind() {
            end = 0;
            pos = 0;
        }
    }

    @Benchmark
    public Frame writeAndRead16() throws IOException {
        loop.rewind();
        buffer.reset();
        payload[0] = (byte) id;
        buffer.write(payload, 0, payload.length);
        writer.write(Protocol.RESULT, 0, id++, buffer);
        return reader.read();
    }
}
