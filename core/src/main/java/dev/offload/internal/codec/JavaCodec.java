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
 * The default codec for Java callers: needs no setup. Common values (null, Integer, Long, Double, Boolean,
 * String, byte[]) travel in a compact tagged form; anything else is JDK-serialized and read back behind
 * {@link AllowListFilter}: records, enums, JDK value types and collections, plus classes the user allows with
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
            args[i] = readValue(data, in);
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
        return readValue(new DataInputStream(in), in);
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

    /** @param raw what {@code in} reads from: a frame's tail is taken as the array, not copied */
    private Object readValue(DataInputStream in, InputStream raw) throws IOException {
        int tag = in.readUnsignedByte();
        switch (tag) {
            case NULL: return null;
            case INT: return in.readInt();
            case LONG: return in.readLong();
            case DOUBLE: return in.readDouble();
            case BOOLEAN: return in.readBoolean();
            case STRING: return new String(readBytes(in, null), StandardCharsets.UTF_8);
            case BYTES: return readBytes(in, raw);
            case SERIALIZED: return readSerialized(in);
            default: throw new IOException("unknown value tag " + tag);
        }
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
                        + "that implements java.io.Serializable, a String, a boxed primitive, an array or a collection");
            }
            if (!AllowListFilter.allowed(c, userFilter, null)) {
                throw refused = new NotSerializableException("(a " + c.getName() + ") is " + notAllowed(c.getName()));
            }
            return obj;
        }
    }
}
