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

        dev.offload.MapFailedException mapFailed(String message, java.util.List<dev.offload.Outcome<?, ?>> failures);
    }

    private static volatile Exceptions exceptions;
    private static volatile java.util.function.Function<dev.offload.WorkerContext, ContextCore> cores;

    /** Registered by WorkerContext: how our other modules reach a context's engine. */
    public static void registerCores(java.util.function.Function<dev.offload.WorkerContext, ContextCore> f) {
        cores = f;
    }

    /** The engine behind {@code context}, for our own front ends (the Kotlin module). */
    public static ContextCore core(dev.offload.WorkerContext context) {
        exceptions(); // makes sure WorkerContext has registered
        return cores.apply(context);
    }

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
