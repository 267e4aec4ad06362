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

    /** The class name of the frame between a worker's frames and the caller's: see {@link #markRemote}. */
    public static final String BOUNDARY_CLASS = "_OFFLOAD";

    /** Whether {@code t} came from a worker (its stack trace has the boundary frame of {@link #markRemote}). */
    public static boolean isRemote(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (BOUNDARY_CLASS.equals(e.getClassName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Ends {@code t}'s (remote) stack trace with a boundary frame naming the worker, for {@link #withCallerFrames} to
     * continue after. Printed: {@code at _OFFLOAD._WORKER_BOUNDARY(worker pid 1234)}.
     */
    public static Throwable markRemote(Throwable t, long pid) {
        StackTraceElement[] remote = t.getStackTrace();
        StackTraceElement[] marked = java.util.Arrays.copyOf(remote, remote.length + 1);
        marked[remote.length] = new StackTraceElement(BOUNDARY_CLASS, "_WORKER_BOUNDARY", "worker pid " + pid, -1);
        t.setStackTrace(marked);
        return t;
    }

    /**
     * Continues a worker's exception with the frames of the thread that waited for it, below the boundary frame, so
     * that its stack trace shows where the call failed in the worker and where it was made in this JVM. Once: a
     * trace that does not end at a boundary (an exception of this JVM's own, or one already continued) stays as it is.
     *
     * @param skip how many innermost frames of the current thread to leave out (Offload's own, above the caller's API
     *     call)
     */
    public static <T extends Throwable> T withCallerFrames(T t, int skip) {
        StackTraceElement[] remote = t.getStackTrace();
        if (remote.length == 0 || !BOUNDARY_CLASS.equals(remote[remote.length - 1].getClassName())) {
            return t;
        }
        StackTraceElement[] local = new Throwable().getStackTrace();
        int from = Math.min(local.length, 1 + skip);
        StackTraceElement[] both = java.util.Arrays.copyOf(remote, remote.length + local.length - from);
        System.arraycopy(local, from, both, remote.length, local.length - from);
        t.setStackTrace(both);
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
