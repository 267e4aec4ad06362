package dev.offload.internal.child;

import dev.offload.Codec;
import dev.offload.internal.protocol.Frame;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.FrameReader;
import dev.offload.internal.protocol.FrameTooLargeException;
import dev.offload.internal.protocol.FrameWriter;
import dev.offload.internal.protocol.FunctionId;
import dev.offload.internal.protocol.PayloadInput;
import dev.offload.internal.protocol.Protocol;
import dev.offload.internal.protocol.RemoteThrowable;
import dev.offload.internal.protocol.Wire;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The worker's request loop: one frame in, one reply out, on the main thread. */
final class WorkerLoop {
    /** Exit status after init or retire threw (a BROKEN frame was sent). */
    static final int EXIT_BROKEN = 1;
    /** Exit status after the parent broke the protocol. */
    static final int EXIT_PROTOCOL = 2;
    /** Exit status after a fatal VM error (out of memory, internal error) in a call: the JVM may be damaged. */
    static final int EXIT_FATAL = 3;

    private static volatile long currentCall;
    /** The spin configured with WorkerConfig.spinWait, which applies to every read; 0 if none. */
    private final long configuredSpin = Long.getLong("offload.spinNanos", 0);

    private final FrameReader reader;
    private final FrameWriter writer;
    private final int maxFrameSize;
    private final FunctionResolver resolver = new FunctionResolver(ClassLoader.getSystemClassLoader());
    private final Map<String, Codec> codecs = new HashMap<>();
    /**
     * Reused for every reply. After a large reply it stays large: dropping it did not lower an idle worker's
     * resident memory (the heap it grew stays committed) and made every large reply pay for a fresh array.
     */
    private final FrameBuffer buffer;
    private final SlotStates states = new SlotStates();
    /** One item's result or exception in a batch, before it joins the reply; created by the first batch. */
    private FrameBuffer itemBuffer;
    private Target retire;
    /** The head of the last CALL (function id and codec name) and what it resolved to. */
    private byte[] lastHead;
    private Target lastTarget;
    private Codec lastCodec;

    WorkerLoop(FrameReader reader, FrameWriter writer, int maxFrameSize) {
        this.reader = reader;
        this.writer = writer;
        this.maxFrameSize = maxFrameSize;
        this.buffer = new FrameBuffer(maxFrameSize, 4096).allowTail(); // written at once: a result array goes as is
    }

    /** The call being served, for OUTPUT frames (0 between calls). */
    static long currentCall() {
        return currentCall;
    }

    /** Serves frames until EOF on stdin; returns the exit status. */
    int run() throws IOException {
        for (;;) {
            Frame f = reader.read();
            if (f == null) {
                states.closeAll();
                if (Training.enabled()) {
                    Training.exerciseCodecs();
                }
                return 0;
            }
            switch (f.type) {
                case Protocol.CONFIGURE:
                    if (!configure(f)) {
                        return EXIT_BROKEN;
                    }
                    break;
                case Protocol.CALL:
                case Protocol.SLOT_CALL:
                case Protocol.SLOT_RELEASE:
                case Protocol.BATCH:
                    int status = call(f);
                    if (status >= 0) {
                        return status;
                    }
                    break;
                default:
                    System.err.println("offload worker: unexpected " + f + " from the parent");
                    return EXIT_PROTOCOL;
            }
        }
    }

    private boolean configure(Frame f) throws IOException {
        DataInputStream in = new DataInputStream(PayloadInput.of(f));
        FunctionId init = in.readBoolean() ? FunctionId.readFrom(in) : null;
        FunctionId retireId = in.readBoolean() ? FunctionId.readFrom(in) : null;
        try {
            retire = retireId == null ? null : resolver.resolve(retireId);
        } catch (RuntimeException e) {
            sendBroken(0, "retire function " + retireId + " cannot be used", e);
            return false;
        }
        if (init != null) {
            try {
                resolver.resolve(init).invoke(new Object[0]);
            } catch (Throwable e) {
                flushPrints();
                sendBroken(0, "init function " + init + " threw " + e, e);
                return false;
            }
        }
        flushPrints();
        writer.write(Protocol.READY, 0, 0);
        return true;
    }

    /** Serves one request (CALL, SLOT_CALL, SLOT_RELEASE, BATCH); returns an exit status if the worker must exit now, else -1. */
    private int call(Frame f) throws IOException {
        currentCall = f.callId;
        PayloadInput p = PayloadInput.of(f);
        DataInputStream in = new DataInputStream(p);
        byte type = Protocol.RESULT;
        buffer.reset();
        try {
            switch (f.type) {
                case Protocol.CALL:
                    plainCall(f, p, in);
                    break;
                case Protocol.SLOT_CALL:
                    slotCall(p, in);
                    break;
                case Protocol.BATCH:
                    batch(f, in);
                    break;
                default:
                    long mapKey = in.readLong();
                    Codec codec = codec(Wire.readString(in));
                    states.release(mapKey);
                    codec.writeResult(Void.TYPE, null, buffer);
                    break;
            }
        } catch (Throwable t) {
            type = Protocol.ERROR;
            if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
                // Not an exception of the function's contract: the worker is no longer trustworthy. The call
                // fails as a broken worker (with this reason), and the worker is replaced.
                buffer.reset();
                flushPrints();
                sendBroken(f.callId, "the call failed with " + t + "; the worker exits", t);
                return EXIT_FATAL;
            }
            writeError(t, buffer);
        }
        flushPrints();
        boolean retiring = false;
        if (!retiring && retire != null) {
            try {
                retiring = Boolean.TRUE.equals(retire.invoke(new Object[0]));
                if (retiring) {
                    states.closeAll();
                }
            } catch (Throwable e) {
                flushPrints();
                sendBroken(f.callId, "retire function " + retire.id + " threw " + e, e);
                return EXIT_BROKEN;
            }
            flushPrints();
        }
        writer.write(type, retiring ? Protocol.FLAG_RETIRING : 0, f.callId, buffer);
        currentCall = 0;
        if (configuredSpin == 0) { // the parent's adaptive spin: poll for its next request only when it asks
            reader.spinBeforeBlocking(f.hasFlag(Protocol.FLAG_SPIN) ? Protocol.ADAPTIVE_SPIN_NANOS : 0,
                    f.hasFlag(Protocol.FLAG_YIELD));
        }
        return retiring ? 0 : -1;
    }

    private void plainCall(Frame f, PayloadInput p, DataInputStream in) throws Throwable {
        resolveHead(f, in);
        Object[] args = readArguments(lastCodec, lastTarget, lastTarget.parameterTypes, p);
        writeResult(lastCodec, lastTarget, lastTarget.invoke(args), buffer);
    }

    /**
     * Reads the head of a CALL or BATCH (function id and codec name) and leaves what it names in {@link #lastTarget}
     * and {@link #lastCodec}; the same head as the last request skips decoding and lookups.
     */
    private void resolveHead(Frame f, DataInputStream in) throws Throwable {
        int head = headLength(f);
        if (head > 0 && lastHead != null && Arrays.equals(f.payload, 0, head, lastHead, 0, lastHead.length)) {
            in.skipNBytes(head);
            return;
        }
        FunctionId id = FunctionId.readFrom(in);
        String codecName = Wire.readString(in);
        Target target = resolver.resolve(id);
        Codec codec = codecFor(codecName, target);
        lastHead = head > 0 ? Arrays.copyOf(f.payload, head) : null;
        lastTarget = target;
        lastCodec = codec;
    }

    /**
     * A batch: the function runs on each item in turn. An item's exception (or its arguments' or result's codec
     * failing) fails that item only; a fatal VM error fails the whole batch, as it would a call.
     */
    private void batch(Frame f, DataInputStream in) throws Throwable {
        resolveHead(f, in);
        Target target = lastTarget;
        Codec codec = lastCodec;
        int n = in.readInt();
        DataOutputStream out = new DataOutputStream(buffer);
        out.writeInt(n);
        FrameBuffer item = itemBuffer == null ? itemBuffer = new FrameBuffer(maxFrameSize, 256) : itemBuffer;
        for (int i = 0; i < n; i++) {
            byte[] arguments = in.readNBytes(in.readInt());
            item.reset();
            int status = Protocol.ITEM_RESULT;
            try {
                Object[] args = readArguments(codec, target, target.parameterTypes,
                        new java.io.ByteArrayInputStream(arguments));
                writeResult(codec, target, target.invoke(args), item);
            } catch (Throwable t) {
                if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
                    throw t;
                }
                status = Protocol.ITEM_ERROR;
                writeError(t, item);
            }
            try {
                out.writeByte(status);
                out.writeInt(item.payloadLength());
                item.writeTo(out);
            } catch (FrameTooLargeException e) {
                throw new IllegalStateException("the results of a batch of " + n + " items of " + target.id
                        + " are too large to send together (" + e.getMessage() + "); lower MapOptions batchSize, or"
                        + " raise WorkerConfig.builder().maxFrameSize(...)", e);
            }
        }
        out.flush();
    }

    /**
     * The length of a CALL payload's head (function id, then codec name: a kind byte and four length-prefixed
     * strings), or 0 if it does not parse; then the slow path reports what is wrong.
     */
    private static int headLength(Frame f) {
        int p = 1;
        for (int i = 0; i < 4; i++) {
            if (p + 4 > f.length) {
                return 0;
            }
            int n = ((f.payload[p] & 0xff) << 24) | ((f.payload[p + 1] & 0xff) << 16) | ((f.payload[p + 2] & 0xff) << 8)
                    | (f.payload[p + 3] & 0xff);
            if (n < 0 || n > f.length - p - 4) {
                return 0;
            }
            p += 4 + n;
        }
        return p;
    }

    /** One item of a stateful map: the slot's state is created on first use, then the item is applied to it. */
    private void slotCall(PayloadInput p, DataInputStream in) throws Throwable {
        long mapKey = in.readLong();
        int slot = in.readInt();
        FunctionId initId = FunctionId.readFrom(in);
        boolean initTakesArgument = in.readBoolean();
        FunctionId applyId = FunctionId.readFrom(in);
        FunctionId closeId = in.readBoolean() ? FunctionId.readFrom(in) : null;
        String codecName = Wire.readString(in);
        Target init = resolver.resolve(initId);
        Target apply = resolver.resolve(applyId);
        Codec codec = codecFor(codecName, apply);
        SlotStates.requireParameters(init, initTakesArgument ? 2 : 1, "init");
        SlotStates.requireParameters(apply, 2, "apply");
        Object[] args = readArguments(codec, apply, initTakesArgument
                ? new java.lang.reflect.Type[] {init.parameterTypes[1], apply.parameterTypes[1]}
                : new java.lang.reflect.Type[] {apply.parameterTypes[1]}, p);
        Object state = states.stateFor(mapKey, slot, init, initTakesArgument ? args[0] : null, initTakesArgument,
                closeId == null ? null : resolver.resolve(closeId));
        writeResult(codec, apply, apply.invoke(new Object[] {state, args[args.length - 1]}), buffer);
    }

    /**
     * Decodes a call's arguments, failing as the call if the codec cannot: with an {@link IllegalStateException}
     * naming the function and saying it happened in the worker, never with the codec's checked exception (which the
     * caller, whose function declares none, could not even catch by its type).
     */
    private static Object[] readArguments(Codec codec, Target target, java.lang.reflect.Type[] types,
            java.io.InputStream in) {
        try {
            return codec instanceof dev.offload.internal.codec.TargetAware
                    ? ((dev.offload.internal.codec.TargetAware) codec).readArguments(types, in, target.id.name())
                    : codec.readArguments(types, in);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot decode the arguments of " + target.id + " in the worker with "
                    + codec.getClass().getName() + ": " + e.getMessage() + (e instanceof IOException
                    ? "" : " (" + e.getClass().getName() + ")"), e);
        }
    }

    /** Encodes a result into {@code into} (the reply, or one item of a batch), failing as the call if it cannot. */
    private void writeResult(Codec codec, Target target, Object result, FrameBuffer into) throws IOException {
        try {
            codec.writeResult(target.returnType, result, into);
        } catch (FrameTooLargeException e) {
            throw new IllegalStateException("the result of " + target.id + " is too large to send: " + e.getMessage()
                    + "; return less, or raise WorkerConfig.builder().maxFrameSize(...)", e);
        } catch (IOException | RuntimeException e) {
            // Unchecked, as for arguments at the call site: the function did not throw this, its codec did.
            throw new IllegalStateException("cannot encode the result of " + target.id + ": " + e.getMessage(), e);
        }
    }

    /** Encodes an exception into {@code into} (the reply, or one item of a batch), shortened if it is too large. */
    private void writeError(Throwable t, FrameBuffer into) throws IOException {
        into.reset();
        try {
            RemoteThrowable.write(t, new DataOutputStream(into));
        } catch (FrameTooLargeException e) {
            // The exception itself, shortened until it fits (the smallest frame allowed is 1 KiB): its class, the
            // start of its message and where it was thrown, as far as they fit.
            String note = "[shortened: with its stack trace and causes it was larger than maxFrameSize, "
                    + maxFrameSize + " bytes]";
            for (int chars = 300, frames = 4; ; chars /= 4, frames = 0) {
                into.reset();
                try {
                    RemoteThrowable.writeShort(t, note, chars, frames, new DataOutputStream(into));
                    return;
                } catch (FrameTooLargeException again) {
                    if (chars == 0) {
                        throw again;
                    }
                }
            }
        }
    }

    /**
     * {@link #codec}, its failure made unchecked and naming the call's function (what a codec's constructor throws
     * unchecked is its own refusal, and stays as it is).
     */
    private Codec codecFor(String name, Target target) {
        try {
            return codec(name);
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            int nl = name.indexOf('\n');
            throw new IllegalStateException("cannot make the codec " + (nl < 0 ? name : name.substring(0, nl))
                    + " for " + target.id + " in the worker: " + e + "; a codec class must be on the worker's"
                    + " classpath (WorkerConfig.builder().extraClasspath(...)), implement dev.offload.Codec and have"
                    + " a public no-argument constructor", e);
        }
    }

    /**
     * The worker's instance of a codec: {@code name} is its class, created with its no-argument constructor, or
     * (Offload's Kotlin codecs) its class, a newline and a parameter for its {@code (String)} constructor: the
     * caller's types, so that both sides use the same serializers.
     */
    private Codec codec(String name) throws ReflectiveOperationException {
        Codec c = codecs.get(name);
        if (c == null) {
            int nl = name.indexOf('\n');
            Class<?> k = Class.forName(nl < 0 ? name : name.substring(0, nl), true, ClassLoader.getSystemClassLoader());
            try {
                c = (Codec) (nl < 0 ? k.getConstructor().newInstance()
                        : k.getConstructor(String.class).newInstance(name.substring(nl + 1)));
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause(); // the codec's own refusal, as it said it
                }
                throw e;
            }
            if (codecs.size() >= MAX_CODECS) {
                codecs.clear(); // one per type signature called: a bound, not a cache policy
            }
            codecs.put(name, c);
        }
        return c;
    }

    private static final int MAX_CODECS = 256;

    private void sendBroken(long callId, String reason, Throwable cause) throws IOException {
        FrameBuffer b = new FrameBuffer(maxFrameSize);
        DataOutputStream out = new DataOutputStream(b);
        Wire.writeString(out, reason);
        out.writeBoolean(cause != null);
        if (cause != null) {
            RemoteThrowable.write(cause, out);
        }
        writer.write(Protocol.BROKEN, 0, callId, b);
    }

    private static void flushPrints() {
        System.out.flush();
        System.err.flush();
    }
}
