package dev.offload.internal;

import dev.offload.BrokenWorkerException;
import dev.offload.RemoteTaskException;

/**
 * Lets internal code build the public exceptions, whose constructors are not public (exceptions are public to
 * catch, not to build). {@code dev.offload} registers the implementation when its classes initialise.
 */
public final class Secrets {
    private Secrets() {}

    /** Builds the public exception types. */
    public interface Exceptions {
        BrokenWorkerException broken(String message, long pid, Integer exitCode, String signal, String stderrTail,
                Throwable cause);

        RemoteTaskException remote(String remoteClassName, String remoteMessage, Throwable cause);
    }

    private static volatile Exceptions exceptions;

    public static void register(Exceptions e) {
        exceptions = e;
    }

    public static Exceptions exceptions() {
        Exceptions e = exceptions;
        if (e == null) {
            try {
                Class.forName("dev.offload.WorkerContext", true, Secrets.class.getClassLoader());
            } catch (ClassNotFoundException x) {
                throw new IllegalStateException(x);
            }
            e = exceptions;
        }
        return e;
    }

    public static BrokenWorkerException broken(String message, long pid, Integer exitCode, String signal,
            String stderrTail, Throwable cause) {
        return exceptions().broken(message, pid, exitCode, signal, stderrTail, cause);
    }
}
