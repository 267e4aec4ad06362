package dev.offload.internal.codec;

import dev.offload.Codec;
import dev.offload.internal.protocol.FrameBuffer;
import dev.offload.internal.protocol.PayloadInput;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * The default codec for Java callers: needs no setup. Common values (null, boxed primitives, String, byte[]) travel
 * in a compact tagged form, and so do Serializable records made only of those, of enum constants and of such records
 * (see {@link RecordShape}); anything else is JDK-serialized and read back behind {@link AllowListFilter}: records,
 * enums, JDK value types and collections, plus classes the user allows with
 * {@code WorkerConfig.Builder.allowSerializable(pattern)} (passed to the worker as a system property).
 */
public final class JavaCodec implements Codec {
    /** System property carrying the user's allow-list pattern into the worker. */
    public static final String ALLOW_PROPERTY = "dev.offload.allowSerializable";

    private static final int NULL = 0;
    private static final int INT = 1;
    private static final int LONG = 2;
    private static final int DOUBLE = 3;
    private static final int BOOLEAN = 4;
    private static final int STRING = 5;
    private static final int BYTES = 6;
    private static final int SERIALIZED = 7;
    private static final int RECORD = 8;
    private static final int ENUM = 9;
    private static final int FLOAT = 10;
    private static final int SHORT = 11;
    private static final int BYTE = 12;
    private static final int CHAR = 13;
    /** Records nested deeper than this go JDK-serialized as a whole; a stream nesting them deeper is refused. */
    static final int MAX_RECORD_DEPTH = 16;

    private final ObjectInputFilter userFilter;

    /** The worker's instance: the allow-list pattern comes from {@link #ALLOW_PROPERTY}. */
    public JavaCodec() {
        this(System.getProperty(ALLOW_PROPERTY, ""));
    }

    /** @param allowPattern extra classes to allow, in {@link ObjectInputFilter.Config#createFilter} syntax */
    public JavaCodec(String allowPattern) {
        this.userFilter = allowPattern.isBlank() ? null : ObjectInputFilter.Config.createFilter(allowPattern);
    }

    @Override
    public void writeArguments(Object[] arguments, OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(arguments.length);
        for (int i = 0; i < arguments.length; i++) {
            try {
                writeValue(arguments[i], data, out);
            } catch (NotSerializableException e) {
                throw new NotSerializableException("argument " + (i + 1) + " " + e.getMessage());
            }
        }
        data.flush();
    }

    @Override
    public Object[] readArguments(Type[] parameterTypes, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int n = data.readInt();
        if (n != parameterTypes.length) {
            throw new IOException("got " + n + " arguments for a function of " + parameterTypes.length + " parameters");
        }
        Object[] args = new Object[n];
        for (int i = 0; i < n; i++) {
            args[i] = readValue(data, in, 0);
        }
        return args;
    }

    @Override
    public void writeResult(Type returnType, Object result, OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        try {
            writeValue(result, data, out);
        } catch (NotSerializableException e) {
            throw new NotSerializableException("result " + e.getMessage());
        }
        data.flush();
    }

    @Override
    public Object readResult(InputStream in) throws IOException {
        return readValue(new DataInputStream(in), in, 0);
    }

    /** @param raw what {@code out} writes to: a large byte array goes to a {@link FrameBuffer} as its tail */
    private void writeValue(Object v, DataOutputStream out, OutputStream raw) throws IOException {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof Integer) {
            out.writeByte(INT);
            out.writeInt((Integer) v);
        } else if (v instanceof Long) {
            out.writeByte(LONG);
            out.writeLong((Long) v);
        } else if (v instanceof Double) {
            out.writeByte(DOUBLE);
            out.writeDouble((Double) v);
        } else if (v instanceof Boolean) {
            out.writeByte(BOOLEAN);
            out.writeBoolean((Boolean) v);
        } else if (v instanceof Float) {
            out.writeByte(FLOAT);
            out.writeFloat((Float) v);
        } else if (v instanceof Short) {
            out.writeByte(SHORT);
            out.writeShort((Short) v);
        } else if (v instanceof Byte) {
            out.writeByte(BYTE);
            out.writeByte((Byte) v);
        } else if (v instanceof Character) {
            out.writeByte(CHAR);
            out.writeChar((Character) v);
        } else if (v instanceof String) {
            byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
            out.writeByte(STRING);
            out.writeInt(b.length);
            out.write(b);
        } else if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            out.writeByte(BYTES);
            out.writeInt(b.length);
            if (raw instanceof FrameBuffer) {
                ((FrameBuffer) raw).writeLarge(b); // DataOutputStream holds nothing back: this comes next
            } else {
                out.write(b);
            }
        } else if (v instanceof Enum) {
            writeEnum((Enum<?>) v, out);
        } else if (v instanceof Record && RecordShape.fitsCompactForm(v, 0)) {
            writeRecord((Record) v, out);
        } else {
            out.writeByte(SERIALIZED);
            out.flush();
            CheckingOutputStream oos = new CheckingOutputStream(out, userFilter);
            try {
                oos.writeObject(v);
                oos.flush();
            } catch (IOException e) {
                throw oos.refused != null ? oos.refused : e;
            }
        }
    }

    /**
     * A record in the compact form: its class name, then its components in order, each as a value (a component that
     * is a record nests). Only for what {@link RecordShape#fitsCompactForm} accepts, so nothing here can fail to write
     * or change a value's identity that JDK serialization would keep: every component is immutable.
     */
    private void writeRecord(Record r, DataOutputStream out) throws IOException {
        RecordShape shape = RecordShape.of(r.getClass());
        out.writeByte(RECORD);
        out.writeUTF(r.getClass().getName());
        Object[] values = shape.components(r);
        out.writeByte(values.length);
        for (Object c : values) {
            writeValue(c, out, out);
        }
    }

    /** An enum constant by its type's and its own name, as JDK serialization sends one. */
    private static void writeEnum(Enum<?> e, DataOutputStream out) throws IOException {
        out.writeByte(ENUM);
        out.writeUTF(e.getDeclaringClass().getName());
        out.writeUTF(e.name());
    }

    /**
     * @param raw what {@code in} reads from: a frame's tail is taken as the array, not copied
     * @param depth how many records this value is nested in
     */
    private Object readValue(DataInputStream in, InputStream raw, int depth) throws IOException {
        return readTagged(in.readUnsignedByte(), in, raw, depth);
    }

    private Object readTagged(int tag, DataInputStream in, InputStream raw, int depth) throws IOException {
        switch (tag) {
            case NULL: return null;
            case INT: return in.readInt();
            case LONG: return in.readLong();
            case DOUBLE: return in.readDouble();
            case BOOLEAN: return in.readBoolean();
            case FLOAT: return in.readFloat();
            case SHORT: return in.readShort();
            case BYTE: return in.readByte();
            case CHAR: return in.readChar();
            case STRING: return new String(readBytes(in, null), StandardCharsets.UTF_8);
            case BYTES: return readBytes(in, raw);
            case SERIALIZED: return readSerialized(in);
            case RECORD: return readRecord(in, depth);
            case ENUM: return readEnum(in);
            default: throw new IOException("unknown value tag " + tag);
        }
    }

    private Object readRecord(DataInputStream in, int depth) throws IOException {
        if (depth >= MAX_RECORD_DEPTH) {
            throw new InvalidClassException("records nested more than " + MAX_RECORD_DEPTH + " deep");
        }
        String name = in.readUTF();
        RecordShape shape = RecordShape.of(load(name));
        if (shape == null) {
            // Only what the writing side sends in this form is read in it: a Serializable record's class.
            throw new InvalidClassException(name, "not a record that Offload sends in its compact form");
        }
        int n = in.readUnsignedByte();
        if (n != shape.size()) {
            throw new InvalidClassException(name, "has " + shape.size() + " components here, " + n + " in the stream"
                    + " (do both JVMs have the same version of it?)");
        }
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) {
            int tag = in.readUnsignedByte();
            if (tag == SERIALIZED || tag == BYTES) {
                throw new IOException("component " + (i + 1) + " of a " + name + " in the compact form is of kind "
                        + tag);
            }
            values[i] = readTagged(tag, in, null, depth + 1);
        }
        return shape.create(values);
    }

    private Object readEnum(DataInputStream in) throws IOException {
        String type = in.readUTF();
        String constant = in.readUTF();
        Class<?> c = load(type);
        if (!c.isEnum()) {
            throw new InvalidClassException(type, "is not an enum");
        }
        for (Object e : c.getEnumConstants()) {
            if (((Enum<?>) e).name().equals(constant)) {
                return e;
            }
        }
        throw new InvalidClassException(type, "has no constant " + constant + " here (do both JVMs have the same"
                + " version of it?)");
    }

    /** A class {@link #load} found, with the context loader it was found through. */
    private record Loaded(ClassLoader context, Class<?> type) {
    }

    /**
     * Classes named in compact-form values, by name: a call's record and its enum or record components would take
     * turns in a single entry, and a lookup by name costs about 0.5 µs here (2026-11-22). Bounded: cleared when full.
     */
    private final java.util.concurrent.ConcurrentHashMap<String, Loaded> loaded =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_LOADED = 64;

    /**
     * A class named in a compact-form value: through the context class loader of this thread, else Offload's own
     * loader (where a JDK-serialized value's class is found when Offload's code is what reads it).
     */
    private Class<?> load(String name) throws IOException {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        Loaded known = loaded.get(name);
        if (known != null && known.context == context) {
            return known.type;
        }
        ClassLoader own = JavaCodec.class.getClassLoader();
        Class<?> type;
        try {
            type = Class.forName(name, false, context != null ? context : own);
        } catch (ClassNotFoundException e) {
            try {
                if (context == null || context == own) {
                    throw e;
                }
                type = Class.forName(name, false, own);
            } catch (ClassNotFoundException again) {
                throw new IOException("class " + name + " of a value is not on this JVM's classpath", e);
            }
        }
        if (loaded.size() >= MAX_LOADED) {
            loaded.clear();
        }
        loaded.put(name, new Loaded(context, type));
        return type;
    }

    private static byte[] readBytes(DataInputStream in, InputStream raw) throws IOException {
        int n = in.readInt();
        byte[] tail = raw instanceof PayloadInput ? ((PayloadInput) raw).takeTail(n) : null;
        if (tail != null) {
            return tail;
        }
        if (n < 0 || n > in.available()) {
            throw new IOException("value of " + n + " bytes does not fit in the " + in.available() + " bytes left");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    private Object readSerialized(InputStream in) throws IOException {
        AllowListFilter filter = new AllowListFilter(userFilter);
        ObjectInputStream ois = new ObjectInputStream(in);
        ois.setObjectInputFilter(filter);
        try {
            return ois.readObject();
        } catch (InvalidClassException e) {
            if (AllowListFilter.TOO_DEEP.equals(filter.rejected())) {
                throw new IOException(AllowListFilter.TOO_DEEP + " (a linked chain of Java-serialized objects, or "
                        + "collections nested that deep): Offload refuses it to bound the reader's stack, whatever "
                        + "allowSerializable says; send it flatter, such as the chain's elements in a list or an array");
            }
            if (filter.rejected() != null) {
                throw new InvalidClassException(filter.rejected(), notAllowed(filter.rejected()));
            }
            throw e;
        } catch (ClassNotFoundException e) {
            throw new IOException("class " + e.getMessage() + " of a Java-serialized value is not on this JVM's classpath", e);
        }
    }

    static String notAllowed(String className) {
        return "not on Offload's allow-list for Java-serialized values; use a record, or allow it with "
                + "WorkerConfig.builder().allowSerializable(\"" + className + "\")";
    }

    /** Refuses, while writing, what the reading side would reject, so a bad argument fails before any worker. */
    private static final class CheckingOutputStream extends ObjectOutputStream {
        private final ObjectInputFilter userFilter;
        /** The first object refused; ObjectOutputStream then tries to write the exception itself, which we let be. */
        NotSerializableException refused;

        CheckingOutputStream(OutputStream out, ObjectInputFilter userFilter) throws IOException {
            super(out);
            this.userFilter = userFilter;
            enableReplaceObject(true);
        }

        @Override
        protected Object replaceObject(Object obj) throws IOException {
            Class<?> c = obj.getClass();
            if (refused != null) {
                return obj;
            }
            if (!(obj instanceof java.io.Serializable)) {
                throw refused = new NotSerializableException("(a " + c.getName() + ") is not Serializable; use a record "
                        + "that implements java.io.Serializable, a String, a boxed primitive, an array or a collection"
                        + (java.util.Collection.class.isAssignableFrom(c) || java.util.Map.class.isAssignableFrom(c)
                        ? " (a view such as keySet(), values() or subList() is not one of these: copy it into a new "
                                + "ArrayList, HashSet or HashMap)"
                        : ""));
            }
            if (!AllowListFilter.allowed(c, userFilter, null)) {
                throw refused = new NotSerializableException("(a " + c.getName() + ") is " + notAllowed(c.getName()));
            }
            return obj;
        }
    }
}
