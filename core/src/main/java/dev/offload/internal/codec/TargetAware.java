package dev.offload.internal.codec;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;

/**
 * A codec that reads a call's arguments knowing the JVM name of the method they go to: the Kotlin codec, for which
 * a mangled name (one with a {@code -}) says that Kotlin passes a value-class parameter unboxed, which the parameter
 * types alone cannot tell when the value class's underlying type erases to {@code Object}.
 */
public interface TargetAware {
    /**
     * Like {@link dev.offload.Codec#readArguments}, for the method named {@code jvmName}.
     *
     * @param parameterTypes the method's parameter types
     * @param in the encoded arguments
     * @param jvmName the method's name on the JVM
     * @return the arguments
     * @throws IOException if they cannot be read
     */
    Object[] readArguments(Type[] parameterTypes, InputStream in, String jvmName) throws IOException;
}
