package dev.offload.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Frames and handshakes round trip; every malformed stream is a ProtocolException with an exact message. */
class FrameReaderTest {
    private static final int MAX = 1024;

    private static byte[] frame(byte type, int flags, long callId, byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(type, flags, callId, FrameBuffer.of(payload, 0, payload.length, MAX));
        return out.toByteArray();
    }

    private static FrameReader reader(byte[] bytes) {
        return new FrameReader(new ByteArrayInputStream(bytes), MAX);
    }

    private static String failure(byte[] bytes) {
        return assertThrows(ProtocolException.class, () -> reader(bytes).read()).getMessage();
    }

    @Test
    void framesRoundTrip() throws IOException {
        byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(frame(Protocol.RESULT, Protocol.FLAG_RETIRING, 42, payload));
        out.write(frame(Protocol.OUTPUT, 0, 7, new byte[0]));
        FrameReader r = reader(out.toByteArray());
        Frame f = r.read();
        assertEquals(Protocol.RESULT, f.type);
        assertEquals(42, f.callId);
        assertEquals(Protocol.FLAG_RETIRING, f.flags);
        assertArrayEquals(payload, Arrays.copyOf(f.payload, f.length));
        Frame g = r.read();
        assertEquals(Protocol.OUTPUT, g.type);
        assertEquals(0, g.length);
        assertNull(r.read(), "EOF on a frame boundary is the end of the stream");
    }

    @Test
    void aFrameIsReadyOnlyOnceAllOfItCanBeReadAndAskingLeavesItInPlace() throws IOException {
        byte[] payload = new byte[300];
        Arrays.fill(payload, (byte) 7);
        byte[] bytes = frame(Protocol.RESULT, 0, 9, payload);
        java.io.PipedOutputStream pipe = new java.io.PipedOutputStream();
        FrameReader r = new FrameReader(new java.io.BufferedInputStream(new java.io.PipedInputStream(pipe, 4096)), MAX);
        assertFalse(r.frameReady(), "nothing yet");
        pipe.write(bytes, 0, 10);
        assertFalse(r.frameReady(), "half a header");
        pipe.write(bytes, 10, 100);
        assertFalse(r.frameReady(), "the header and part of the payload");
        assertFalse(r.frameReady(), "asking again changes nothing");
        pipe.write(bytes, 110, bytes.length - 110);
        assertTrue(r.frameReady(), "all of it");
        Frame f = r.read();
        assertEquals(9, f.callId);
        assertArrayEquals(payload, Arrays.copyOf(f.payload, f.length));
        assertFalse(r.frameReady(), "read");
    }

    @Test
    void aReplyIsReadyOnlyOnceItAndTheOutputBeforeItAreWhole() throws IOException {
        byte[] printed = frame(Protocol.OUTPUT, 0, 9, "working\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] reply = frame(Protocol.RESULT, 0, 9, new byte[300]);
        java.io.PipedOutputStream pipe = new java.io.PipedOutputStream();
        FrameReader r = new FrameReader(new java.io.BufferedInputStream(new java.io.PipedInputStream(pipe, 4096), 64),
                MAX);
        pipe.write(printed, 0, printed.length - 1);
        assertFalse(r.frameReady(), "part of what the function printed");
        pipe.write(printed, printed.length - 1, 1);
        assertFalse(r.frameReady(), "what it printed, and no reply yet: the function may still be working");
        pipe.write(printed);
        pipe.write(reply, 0, 100);
        assertFalse(r.frameReady(), "two prints and part of the reply");
        pipe.write(reply, 100, reply.length - 100);
        assertTrue(r.frameReady(), "the prints and all of the reply (past the stream's 64-byte buffer)");
        assertEquals(Protocol.OUTPUT, r.read().type, "asking left every frame in place");
        assertEquals(Protocol.OUTPUT, r.read().type);
        Frame f = r.read();
        assertEquals(Protocol.RESULT, f.type);
        assertEquals(300, f.length);
        assertFalse(r.frameReady(), "read");
    }

    @Test
    void oneFrameIsOneWrite() throws IOException {
        int[] writes = new int[1];
        ByteArrayOutputStream sink = new ByteArrayOutputStream() {
            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes[0]++;
                super.write(b, off, len);
            }
        };
        new FrameWriter(sink).write(Protocol.CALL, 0, 1, FrameBuffer.of(new byte[100], 0, 100, MAX));
        assertEquals(1, writes[0]);
        assertEquals(Protocol.HEADER_SIZE + 100, sink.size());
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] f = frame(Protocol.RESULT, 0, 1, new byte[10]);
        assertEquals("truncated frame: stream ended after 5 of 20 header bytes", failure(Arrays.copyOf(f, 5)));
        assertEquals("truncated frame: stream ended after 1 of 20 header bytes", failure(Arrays.copyOf(f, 1)));
    }

    @Test
    void truncatedPayload() throws IOException {
        byte[] f = frame(Protocol.RESULT, 0, 1, new byte[10]);
        assertEquals("truncated frame: stream ended after 4 of 10 payload bytes of a RESULT frame",
                failure(Arrays.copyOf(f, Protocol.HEADER_SIZE + 4)));
    }

    @Test
    void oversizedFrameIsRefusedBeforeAllocating() throws IOException {
        byte[] f = frame(Protocol.RESULT, 0, 1, new byte[10]);
        f[4] = 0x7f; // length 0x7f00000a
        assertEquals("frame of 2130706442 bytes exceeds the maximum frame size of 1024 bytes", failure(f));
        f[4] = (byte) 0xff; // a negative int
        assertEquals("frame of 4278190090 bytes exceeds the maximum frame size of 1024 bytes", failure(f));
    }

    @Test
    void unknownType() throws IOException {
        byte[] f = frame(Protocol.RESULT, 0, 1, new byte[0]);
        f[2] = 0x7f;
        assertEquals("unknown frame type 0x7f", failure(f));
    }

    @Test
    void garbageInsteadOfAFrame() {
        byte[] text = "Hello from the wrong stream\n".getBytes(StandardCharsets.US_ASCII);
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader(text).read());
        assertEquals("garbage in frame stream: expected marker 0xf0ad, read 0x4865", e.getMessage());
        assertArrayEquals(Arrays.copyOf(text, Protocol.HEADER_SIZE), e.garbage());
    }

    @Test
    void corruptedPayloadFailsTheChecksum() throws IOException {
        byte[] f = frame(Protocol.RESULT, 0, 1, "abc".getBytes(StandardCharsets.US_ASCII));
        f[Protocol.HEADER_SIZE] = 'x';
        String m = failure(f);
        assertEquals(true, m.startsWith("checksum mismatch in a RESULT frame of 3 bytes: header says 0x"), m);
    }

    @Test
    void handshakeSkipsJunkBeforeTheMagic() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("Picked up JAVA_TOOL_OPTIONS: x\nOFFLOFF".getBytes(StandardCharsets.US_ASCII));
        new FrameWriter(out).writeHandshake(12345);
        out.write(frame(Protocol.READY, 0, 0, new byte[0]));
        FrameReader r = reader(out.toByteArray());
        assertEquals(12345, r.readHandshake());
        assertEquals("Picked up JAVA_TOOL_OPTIONS: x\nOFFLOFF", new String(r.junk(), StandardCharsets.US_ASCII));
        assertEquals(Protocol.READY, r.read().type);
    }

    @Test
    void missingHandshake() {
        byte[] junk = "Error: Could not find or load main class".getBytes(StandardCharsets.US_ASCII);
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader(junk).readHandshake());
        assertEquals("no handshake: stream ended after 40 bytes", e.getMessage());
        assertArrayEquals(junk, e.garbage());
        byte[] endless = new byte[Protocol.MAX_HANDSHAKE_JUNK + 100];
        assertEquals("no handshake within 65536 bytes",
                assertThrows(ProtocolException.class, () -> reader(endless).readHandshake()).getMessage());
    }

    @Test
    void truncatedOrForeignHandshake() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).writeHandshake(7);
        byte[] h = out.toByteArray();
        assertEquals("truncated handshake: stream ended after 12 of 18 bytes",
                assertThrows(ProtocolException.class, () -> reader(Arrays.copyOf(h, 12)).readHandshake()).getMessage());
        h[9] = 9;
        assertEquals("unsupported protocol version 9 (this side speaks " + Protocol.VERSION + ")",
                assertThrows(ProtocolException.class, () -> reader(h).readHandshake()).getMessage());
    }

    @Test
    void writerRefusesPayloadsOverTheMaximum() {
        FrameBuffer b = new FrameBuffer(MAX);
        FrameTooLargeException e = assertThrows(FrameTooLargeException.class, () -> b.write(new byte[MAX + 1], 0, MAX + 1));
        assertEquals("payload of at least 1025 bytes exceeds the maximum frame size of 1024 bytes", e.getMessage());
    }

    @Test
    void aSplitFrameCarriesItsTailInItsOwnArray() throws IOException {
        byte[] big = new byte[FrameBuffer.TAIL_MIN + 5];
        Arrays.fill(big, (byte) 7);
        FrameBuffer b = new FrameBuffer(1 << 20).allowTail();
        b.write(new byte[] {1, 2, 3});
        b.writeLarge(big);
        assertEquals(3 + big.length, b.payloadLength());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(Protocol.RESULT, 0, 9, b);
        Frame f = new FrameReader(new ByteArrayInputStream(out.toByteArray()), 1 << 20).read();
        assertEquals(Protocol.FLAG_SPLIT, f.flags & Protocol.FLAG_SPLIT);
        assertEquals(3 + big.length, f.size());
        PayloadInput in = PayloadInput.of(f);
        assertNull(in.takeTail(big.length), "only what is left after the head is a tail");
        assertEquals(1, in.read());
        assertEquals(2, in.read());
        assertEquals(3, in.read());
        assertNull(in.takeTail(big.length - 1), "only all of it");
        assertArrayEquals(big, in.takeTail(big.length));
        assertEquals(-1, in.read());
    }

    @Test
    void aTailIsReadAsOrdinaryBytesWhenNotTaken() throws IOException {
        byte[] big = new byte[FrameBuffer.TAIL_MIN];
        big[0] = 42;
        FrameBuffer b = new FrameBuffer(1 << 20).allowTail();
        b.writeLarge(big);
        b.write(9); // something after it: the tail is copied in, the frame is not split
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(Protocol.RESULT, 0, 1, b);
        Frame f = new FrameReader(new ByteArrayInputStream(out.toByteArray()), 1 << 20).read();
        assertEquals(0, f.flags & Protocol.FLAG_SPLIT);
        assertEquals(big.length + 1, f.length);

        FrameBuffer c = new FrameBuffer(1 << 20).allowTail();
        c.writeLarge(big);
        out.reset();
        new FrameWriter(out).write(Protocol.RESULT, 0, 1, c);
        PayloadInput in = PayloadInput.of(new FrameReader(new ByteArrayInputStream(out.toByteArray()), 1 << 20).read());
        assertEquals(big.length, in.available());
        assertEquals(42, in.read());
        assertEquals(big.length - 1, in.readNBytes(big.length).length);
    }

    @Test
    void aSplitFrameWithAHeadLongerThanItsPayloadIsRefused() throws IOException {
        byte[] bytes = frame(Protocol.RESULT, 0, 1, new byte[] {0, 0, 0, 9, 1, 2});
        bytes[3] = (byte) Protocol.FLAG_SPLIT;
        assertEquals("split frame with a head of 9 bytes in a payload of 6", failure(bytes));
    }
}
