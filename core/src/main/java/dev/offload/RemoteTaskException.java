package dev.offload;

/**
 * The function threw an exception whose type cannot be rebuilt in the caller (not public, not on the caller's
 * classpath, or without a public {@code (String)} or {@code (String, Throwable)} constructor). The message
 * starts with the remote type's name; the stack trace is the remote one and the cause chain is kept. The worker
 * that threw stays in use. Kotlin's {@code runSync} and maps also deliver a {@code CancellationException} the
 * function threw as one of these: as itself it would pass for a cancellation of the calling coroutine.
 *
 * <p>Thrown, not built: there is no public constructor.
 */
public final class RemoteTaskException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The binary name of the exception's class in the worker. */
    private final String remoteClassName;
    /** The remote exception's own message, or {@code null}. */
    private final String remoteMessage;

    RemoteTaskException(String remoteClassName, String remoteMessage, Throwable cause) {
        super(remoteMessage == null ? remoteClassName : remoteClassName + ": " + remoteMessage, cause);
        this.remoteClassName = remoteClassName;
        this.remoteMessage = remoteMessage;
    }

    /**
     * Binary name of the exception's class in the worker, e.g. {@code com.example.Fns$Secret}.
     *
     * @return the remote exception's class name
     */
    public String remoteClassName() {
        return remoteClassName;
    }

    /**
     * The remote exception's own message, or {@code null}.
     *
     * @return the remote message, or {@code null} if it had none
     */
    public String remoteMessage() {
        return remoteMessage;
    }
}
