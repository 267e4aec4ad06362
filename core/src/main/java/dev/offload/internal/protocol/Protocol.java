package dev.offload.internal.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The wire protocol between a parent and one worker: the single place that defines it.
 *
 * <p>The parent writes requests to the worker's stdin; the worker writes replies to its real stdout. Before
 * anything else the worker writes a handshake; a reader skips whatever precedes the magic (a JVM warning, a
 * login banner of a remote shell) up to {@link #MAX_HANDSHAKE_JUNK} bytes.
 *
 * <pre>
 * Handshake (worker to parent, once):
 *  0                               8       10                              18
 *  +-------------------------------+-------+-------------------------------+
 *  | magic "OFFLOAD\n" (8 bytes)   | ver   | worker pid (int64, BE)        |
 *  +-------------------------------+-------+-------------------------------+
 *
 * Frame (both directions, all integers big-endian):
 *  0       2      3      4              8                              16             20
 *  +-------+------+------+--------------+------------------------------+--------------+=========+
 *  | 0xF0AD| type | flags| payload len  | call id (int64)              | CRC32C       | payload |
 *  +-------+------+------+--------------+------------------------------+--------------+=========+
 *    marker                 0..max frame                                  of bytes 0..15
 *                                                                         and the payload
 * </pre>
 *
 * <p>Requests: {@link #CONFIGURE} (init and retire functions, answered by {@link #READY} or
 * {@link #BROKEN}), {@link #CALL} (function id, codec, arguments), {@link #SLOT_CALL} (one item of a stateful map:
 * map key, slot, the init/apply/close function ids, codec, then the slot's argument and the item) and
 * {@link #SLOT_RELEASE} (map key, codec: close the state of that map, answered like a call) and {@link #BATCH} (function
 * id, codec, then a count and each item's length-prefixed arguments; answered by one RESULT that holds a count and
 * each item's status byte ({@link #ITEM_RESULT} or {@link #ITEM_ERROR}) and length-prefixed payload, or by one ERROR
 * when the batch as a whole failed). Replies: {@link #RESULT} and
 * {@link #ERROR} carry the call id of their request and may set {@link #FLAG_RETIRING};
 * {@link #OUTPUT} carries what the function printed ({@link #FLAG_STDERR} for {@code System.err});
 * {@link #BROKEN} says the worker is about to exit because its own machinery failed (init or retire threw).
 * One call runs at a time per worker. Graceful shutdown is EOF on the worker's stdin; there is no message.
 *
 * <p>The marker and the checksum make raw bytes written straight to file descriptor 1 (a JVM crash banner,
 * native code) fail as a {@link ProtocolException} instead of being read as a result.
 */
public final class Protocol {
    private Protocol() {}

    /** The 8 bytes that open the handshake. */
    public static final byte[] MAGIC = "OFFLOAD\n".getBytes(StandardCharsets.US_ASCII);
    /** Protocol version sent in the handshake; a parent refuses any other. */
    public static final int VERSION = 2;
    /** Handshake length: magic, version (u16) and pid (i64). */
    public static final int HANDSHAKE_SIZE = MAGIC.length + 2 + 8;
    /** Bytes a reader skips looking for the magic before it gives up. */
    public static final int MAX_HANDSHAKE_JUNK = 64 * 1024;

    /** First two bytes of every frame. */
    public static final int MARKER = 0xF0AD;
    /** Frame header length. */
    public static final int HEADER_SIZE = 20;
    /** Default maximum payload length: 256 MiB. */
    public static final int DEFAULT_MAX_FRAME_SIZE = 256 * 1024 * 1024;

    // Parent to worker.
    /** Install init (run at once) and retire functions; answered by READY or BROKEN. */
    public static final byte CONFIGURE = 0x01;
    /** Run one function call. */
    public static final byte CALL = 0x02;
    /** Run one item of a stateful map: creates the slot's state on first use, then applies the function to it. */
    public static final byte SLOT_CALL = 0x03;
    /** Close the state a stateful map created in this worker; answered by RESULT (null) or ERROR. */
    public static final byte SLOT_RELEASE = 0x04;
    /** Run one function on several items, one after the other; each item succeeds or fails on its own. */
    public static final byte BATCH = 0x05;
    /** In a BATCH's RESULT: this item's function returned; its payload is the codec-encoded result. */
    public static final int ITEM_RESULT = 0;
    /** In a BATCH's RESULT: this item failed; its payload is the encoded exception. */
    public static final int ITEM_ERROR = 1;

    // Worker to parent.
    /** The worker ran init and is ready for calls. */
    public static final byte READY = 0x10;
    /** The function returned; payload is the codec-encoded result. */
    public static final byte RESULT = 0x11;
    /** The function threw; payload is the encoded exception. */
    public static final byte ERROR = 0x12;
    /** The function printed; payload is the raw bytes. */
    public static final byte OUTPUT = 0x13;
    /** The worker's own machinery failed; payload is the reason; the worker exits next. */
    public static final byte BROKEN = 0x14;

    // Parent to itself.
    /**
     * End of the worker's output: written by the parent itself into the pipe it reads the worker's stdout from, once
     * the worker has exited, with the parent's own nonce as call id. A parent that keeps a write end of that pipe
     * open (to let callers read replies themselves) gets no EOF while a grandchild holds the pipe; this frame ends
     * a read blocked there. Never sent by a worker.
     */
    public static final byte END = 0x1F;
    /**
     * Your turn: written by the parent into the same pipe, with the same nonce, to make the thread that reads there
     * stop after it so that another thread can read the next reply. Never sent by a worker.
     */
    public static final byte TURN = 0x1E;

    /** On RESULT and ERROR: the worker exits after this reply (retire returned true, or a fatal error). */
    public static final int FLAG_RETIRING = 0x01;
    /** On OUTPUT: the bytes were written to System.err rather than System.out. */
    public static final int FLAG_STDERR = 0x02;
    /**
     * On any frame: the payload is split. It starts with the head's length (int32), then the head, then the tail:
     * the bytes of the last value, a byte array that the sender wrote straight from its own array and that the
     * reader may take as the decoded array, so that neither side copies it. The checksum covers all of it.
     */
    public static final int FLAG_SPLIT = 0x04;
    /**
     * On CALL: after replying, the worker polls briefly for the next request before blocking (the parent's adaptive
     * spin: it sets this only while processors are left over for it).
     */
    public static final int FLAG_SPIN = 0x08;
    /**
     * With {@link #FLAG_SPIN}: the worker yields its processor between polls when another thread is ready to run
     * there. The parent asks for it when a thread of its own must wake up between the worker's reply and its next
     * request (a coroutine's, resumed by the reader thread), which may be waiting for the processor the worker holds.
     */
    public static final int FLAG_YIELD = 0x10;
    /** How long each side polls under adaptive spinning: the worker after a FLAG_SPIN reply, the caller for it. */
    public static final long ADAPTIVE_SPIN_NANOS = 30_000;

    /** Whether {@code type} is a frame type of this protocol version. */
    public static boolean isKnownType(int type) {
        return type == CONFIGURE || type == CALL || type == SLOT_CALL || type == SLOT_RELEASE || type == BATCH
                || type == READY || type == RESULT
                || type == ERROR || type == OUTPUT || type == BROKEN || type == END || type == TURN;
    }

    /** A frame type's name, for messages. */
    public static String typeName(int type) {
        switch (type) {
            case CONFIGURE: return "CONFIGURE";
            case CALL: return "CALL";
            case SLOT_CALL: return "SLOT_CALL";
            case SLOT_RELEASE: return "SLOT_RELEASE";
            case BATCH: return "BATCH";
            case READY: return "READY";
            case RESULT: return "RESULT";
            case ERROR: return "ERROR";
            case OUTPUT: return "OUTPUT";
            case BROKEN: return "BROKEN";
            case END: return "END";
            case TURN: return "TURN";
            default: return String.format("0x%02x", type & 0xff);
        }
    }
}
