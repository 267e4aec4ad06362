package dev.offload.internal.codec;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;

/**
 * How {@link JavaCodec} takes a record apart and builds it again in its compact form: the component accessors and the
 * canonical constructor, looked up once per class. JDK serialization spends about 20 µs on a small record per call
 * (its class descriptor, written and read again for every stream); the compact form sends the class name and the
 * components.
 *
 * <p>A record gets the compact form only where it changes nothing JDK serialization would do: the class implements
 * {@link java.io.Serializable} and declares no {@code writeReplace} or {@code readResolve}, Offload may call its
 * accessors and constructor (a module that does not open the record's package keeps JDK serialization), and every
 * component is immutable and needs no allow-list: null, a boxed primitive, a String, an enum constant, or a record
 * that fits in turn, at most {@link JavaCodec#MAX_RECORD_DEPTH} deep. Building it calls the canonical constructor,
 * as JDK deserialization of a record does.
 */
final class RecordShape {
    private static final ClassValue<RecordShape> SHAPES = new ClassValue<>() {
        @Override
        protected RecordShape computeValue(Class<?> type) {
            return shapeOf(type);
        }
    };

    private final String name;
    private final MethodHandle[] accessors;
    private final MethodHandle constructor;

    private RecordShape(String name, MethodHandle[] accessors, MethodHandle constructor) {
        this.name = name;
        this.accessors = accessors;
        this.constructor = constructor;
    }

    /** The shape of {@code type}, or null if its instances never take the compact form. */
    static RecordShape of(Class<?> type) {
        return SHAPES.get(type);
    }

    /** Whether {@code value} (a record) goes in the compact form, nested {@code depth} records deep. */
    static boolean fitsCompactForm(Object value, int depth) {
        RecordShape shape = of(value.getClass());
        if (shape == null || depth >= JavaCodec.MAX_RECORD_DEPTH) {
            return false;
        }
        for (MethodHandle accessor : shape.accessors) {
            Object c = get(accessor, value);
            if (!(c == null || c instanceof Integer || c instanceof Long || c instanceof Double
                    || c instanceof Boolean || c instanceof String || c instanceof Float || c instanceof Short
                    || c instanceof Byte || c instanceof Character || c instanceof Enum
                    || (c instanceof Record && fitsCompactForm(c, depth + 1)))) {
                return false;
            }
        }
        return true;
    }

    int size() {
        return accessors.length;
    }

    /** The component values of {@code record}, in declaration order. */
    Object[] components(Object record) {
        Object[] values = new Object[accessors.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = get(accessors[i], record);
        }
        return values;
    }

    /**
     * A new record from its component values, through the canonical constructor. What the constructor throws comes
     * back as an {@link java.io.InvalidObjectException} caused by it, as from JDK deserialization.
     */
    Object create(Object[] values) throws java.io.IOException {
        try {
            return constructor.invokeExact(values);
        } catch (ClassCastException | java.lang.invoke.WrongMethodTypeException e) {
            throw new java.io.InvalidClassException(name,
                    "its components do not match the stream (" + e + "); do both JVMs have the same version of it?");
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            java.io.InvalidObjectException e = new java.io.InvalidObjectException(t.toString());
            e.initCause(t);
            throw e;
        }
    }

    private static Object get(MethodHandle accessor, Object record) {
        try {
            return accessor.invokeExact(record);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static RecordShape shapeOf(Class<?> type) {
        if (!type.isRecord() || !java.io.Serializable.class.isAssignableFrom(type)
                || declares(type, "writeReplace") || declares(type, "readResolve")) {
            return null;
        }
        try {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            MethodHandle[] accessors = new MethodHandle[components.length];
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                java.lang.reflect.Method m = components[i].getAccessor();
                m.setAccessible(true);
                accessors[i] = lookup.unreflect(m).asType(MethodType.methodType(Object.class, Object.class));
            }
            Constructor<?> canonical = type.getDeclaredConstructor(types);
            canonical.setAccessible(true);
            MethodHandle constructor = lookup.unreflectConstructor(canonical)
                    .asSpreader(Object[].class, types.length)
                    .asType(MethodType.methodType(Object.class, Object[].class));
            return new RecordShape(type.getName(), accessors, constructor);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // not ours to open (a module that does not open it): JDK serialization, as before
        }
    }

    private static boolean declares(Class<?> type, String method) {
        for (java.lang.reflect.Method m : type.getDeclaredMethods()) {
            if (m.getName().equals(method) && m.getParameterCount() == 0) {
                return true;
            }
        }
        return false;
    }
}
