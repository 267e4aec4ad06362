package dev.offload.internal;

import dev.offload.internal.protocol.RemoteThrowable;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.util.Objects;

/**
 * Turns a worker's exception (plain data) back into a throwable of the same type when that type is public,
 * loadable here and has a public {@code (String, Throwable)} or {@code (String)} constructor that keeps the
 * message; otherwise into a {@code RemoteTaskException} naming the remote type. Never deserializes.
 */
public final class ExceptionRebuilder {
    private ExceptionRebuilder() {}

    public static Throwable rebuild(RemoteThrowable r, ClassLoader loader) {
        Throwable cause = r.cause == null ? null : rebuild(r.cause, loader);
        Throwable t = sameType(r, cause, loader);
        if (t == null) {
            t = Secrets.exceptions().remote(r.className, r.message, cause);
        }
        t.setStackTrace(r.stackTrace);
        for (RemoteThrowable s : r.suppressed) {
            t.addSuppressed(rebuild(s, loader));
        }
        return t;
    }

    private static Throwable sameType(RemoteThrowable r, Throwable cause, ClassLoader loader) {
        try {
            Class<?> c = Class.forName(r.className, false, loader);
            if (!Throwable.class.isAssignableFrom(c) || !Modifier.isPublic(c.getModifiers())
                    || Modifier.isAbstract(c.getModifiers())) {
                return null;
            }
            Throwable t = null;
            try {
                Constructor<?> k = c.getConstructor(String.class, Throwable.class);
                t = (Throwable) k.newInstance(r.message, cause);
            } catch (NoSuchMethodException e) {
                Constructor<?> k = c.getConstructor(String.class);
                t = (Throwable) k.newInstance(r.message);
                if (cause != null && t.getCause() == null) {
                    t.initCause(cause);
                }
            }
            if (!Objects.equals(t.getMessage(), r.message) || t.getCause() != cause) {
                return null; // the constructor rewrote the message or the cause: not a faithful copy
            }
            return t;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
