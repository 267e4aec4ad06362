package dev.offload.internal.child;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A parsed JVM method descriptor such as {@code (I[Ljava/lang/String;)J}. Parsed by hand because
 * {@code MethodType.fromMethodDescriptorString} pulls in java.lang.invoke, which a fresh worker pays for.
 */
final class Descriptor {
    private final String text;
    private final Class<?>[] parameters;
    private final Class<?> returnType;

    private Descriptor(String text, Class<?>[] parameters, Class<?> returnType) {
        this.text = text;
        this.parameters = parameters;
        this.returnType = returnType;
    }

    static Descriptor parse(String descriptor, ClassLoader loader) throws ClassNotFoundException {
        if (descriptor.isEmpty() || descriptor.charAt(0) != '(') {
            throw new IllegalArgumentException("not a method descriptor: " + descriptor);
        }
        List<Class<?>> params = new ArrayList<>();
        int[] at = {1};
        while (descriptor.charAt(at[0]) != ')') {
            params.add(type(descriptor, at, loader));
        }
        at[0]++;
        Class<?> ret = type(descriptor, at, loader);
        if (at[0] != descriptor.length()) {
            throw new IllegalArgumentException("trailing characters in method descriptor: " + descriptor);
        }
        return new Descriptor(descriptor, params.toArray(new Class<?>[0]), ret);
    }

    private static Class<?> type(String d, int[] at, ClassLoader loader) throws ClassNotFoundException {
        char c = d.charAt(at[0]++);
        switch (c) {
            case 'Z': return boolean.class;
            case 'B': return byte.class;
            case 'C': return char.class;
            case 'S': return short.class;
            case 'I': return int.class;
            case 'J': return long.class;
            case 'F': return float.class;
            case 'D': return double.class;
            case 'V': return void.class;
            case 'L': {
                int end = d.indexOf(';', at[0]);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated class name in method descriptor: " + d);
                }
                String name = d.substring(at[0], end).replace('/', '.');
                at[0] = end + 1;
                return Class.forName(name, false, loader);
            }
            case '[': {
                int start = at[0] - 1;
                type(d, at, loader); // validates and loads the element type
                return Class.forName(d.substring(start, at[0]).replace('/', '.'), false, loader);
            }
            default:
                throw new IllegalArgumentException("bad type '" + c + "' in method descriptor: " + d);
        }
    }

    Class<?>[] parameterArray() {
        return parameters.clone();
    }

    Class<?> returnType() {
        return returnType;
    }

    boolean matches(Class<?>[] parameterTypes, Class<?> ret) {
        return ret == returnType && Arrays.equals(parameterTypes, parameters);
    }

    @Override
    public String toString() {
        return text;
    }
}
