package dev.offload.internal.protocol;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;

/**
 * The JVM identity of a function: owner class, method name, JVM descriptor and how to invoke it. This is what
 * travels to the worker instead of a serialized closure.
 */
public final class FunctionId {
    /** How the worker invokes the method. */
    public enum Kind {
        /** A static method; arguments as declared. */
        STATIC,
        /** An instance method; the first argument is the receiver. */
        VIRTUAL,
        /** A constructor; the result is the new object. */
        CONSTRUCTOR,
        /** An instance method of a singleton read from the owner's static {@code INSTANCE} field (Kotlin object). */
        OBJECT_MEMBER,
        /**
         * An instance method of a companion object, read from the static field of the companion's declaring
         * class that holds it (Kotlin companion).
         */
        COMPANION_MEMBER
    }

    private final String owner;
    private final String name;
    private final String descriptor;
    private final Kind kind;
    /** {@link #writeTo} output, kept: the same function is usually called many times. */
    private volatile byte[] wire;
    /** {@link #parameterKinds()}, kept. */
    private volatile char[] kinds;

    public FunctionId(String owner, String name, String descriptor, Kind kind) {
        this.owner = Objects.requireNonNull(owner, "owner");
        this.name = Objects.requireNonNull(name, "name");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** Binary name of the declaring class, e.g. {@code com.example.Fns$Inner}. */
    public String owner() {
        return owner;
    }

    /** JVM method name ({@code <init>} for constructors). */
    public String name() {
        return name;
    }

    /** JVM method descriptor, e.g. {@code (I)J}. */
    public String descriptor() {
        return descriptor;
    }

    public Kind kind() {
        return kind;
    }

    public void writeTo(DataOutputStream out) throws IOException {
        byte[] b = wire;
        if (b == null) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(bytes);
            d.writeByte(kind.ordinal());
            Wire.writeString(d, owner);
            Wire.writeString(d, name);
            Wire.writeString(d, descriptor);
            d.flush();
            wire = b = bytes.toByteArray();
        }
        out.write(b);
    }

    public static FunctionId readFrom(DataInputStream in) throws IOException {
        int k = in.readUnsignedByte();
        if (k >= Kind.values().length) {
            throw new ProtocolException("unknown function kind " + k);
        }
        return new FunctionId(Wire.readString(in), Wire.readString(in), Wire.readString(in), Kind.values()[k]);
    }

    /**
     * A readable form for messages, in Java's terms: {@code com.example.Fns.fib(int)},
     * {@code new com.example.Point(int, int)}, {@code com.example.Shapes.area(com.example.Shape, double[])}.
     */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (name.equals("<init>")) {
            s.append("new ").append(owner);
        } else {
            s.append(owner).append('.').append(name);
        }
        s.append('(');
        int i = descriptor.indexOf('(') + 1;
        int end = descriptor.indexOf(')');
        if (i <= 0 || end < i) {
            return owner + "." + name + descriptor; // not a method descriptor: as it came
        }
        boolean first = true;
        while (i < end) {
            int dims = 0;
            while (descriptor.charAt(i) == '[') {
                dims++;
                i++;
            }
            String type;
            char c = descriptor.charAt(i);
            if (c == 'L') {
                int semi = descriptor.indexOf(';', i);
                if (semi < 0 || semi > end) {
                    return owner + "." + name + descriptor;
                }
                type = descriptor.substring(i + 1, semi).replace('/', '.');
                i = semi + 1;
            } else {
                type = primitive(c);
                if (type == null) {
                    return owner + "." + name + descriptor;
                }
                i++;
            }
            s.append(first ? "" : ", ").append(type).append("[]".repeat(dims));
            first = false;
        }
        return s.append(')').toString();
    }

    /**
     * Why {@code args} cannot be passed to this method, or null if they can as far as the parent can tell: a null
     * or a non-number for a primitive parameter, or a null receiver. Reflection in the worker would refuse these
     * with a bare "null" or "argument type mismatch".
     */
    public String refusal(Object[] args) {
        char[] p = parameterKinds();
        int shift = kind == Kind.VIRTUAL ? 1 : 0;
        if (shift == 1 && args.length > 0 && args[0] == null) {
            return "the receiver of " + this + " (argument 1) is null; pass the object to call " + name + " on";
        }
        for (int i = 0; i < p.length && i + shift < args.length; i++) {
            String type = primitive(p[i]);
            Object a = args[i + shift];
            if (type == null) {
                continue;
            }
            if (a == null) {
                return "argument " + (i + shift + 1) + " of " + this + " is null, but its parameter is a primitive "
                        + type + "; pass a value, or declare the parameter as its boxed type to accept null";
            }
            boolean fits = p[i] == 'Z' ? a instanceof Boolean : p[i] == 'C' ? a instanceof Character
                    : a instanceof Number || a instanceof Character;
            if (!fits) {
                return "argument " + (i + shift + 1) + " of " + this + " is a " + a.getClass().getName()
                        + ", but its parameter is a primitive " + type;
            }
        }
        return null;
    }

    /** Per parameter: its primitive descriptor letter, or 'L' for any reference (arrays included). */
    private char[] parameterKinds() {
        char[] p = kinds;
        if (p == null) {
            StringBuilder b = new StringBuilder();
            int i = descriptor.indexOf('(') + 1;
            int end = descriptor.indexOf(')');
            while (i > 0 && i < end) {
                char c = descriptor.charAt(i);
                if (c == '[' || c == 'L') {
                    while (descriptor.charAt(i) == '[') {
                        i++;
                    }
                    i = descriptor.charAt(i) == 'L' ? descriptor.indexOf(';', i) + 1 : i + 1;
                    b.append('L');
                } else {
                    b.append(c);
                    i++;
                }
            }
            p = b.toString().toCharArray();
            kinds = p;
        }
        return p;
    }

    private static String primitive(char c) {
        switch (c) {
            case 'Z': return "boolean";
            case 'B': return "byte";
            case 'C': return "char";
            case 'S': return "short";
            case 'I': return "int";
            case 'J': return "long";
            case 'F': return "float";
            case 'D': return "double";
            default: return null;
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FunctionId)) {
            return false;
        }
        FunctionId f = (FunctionId) o;
        return owner.equals(f.owner) && name.equals(f.name) && descriptor.equals(f.descriptor) && kind == f.kind;
    }

    @Override
    public int hashCode() {
        return Objects.hash(owner, name, descriptor, kind);
    }
}
