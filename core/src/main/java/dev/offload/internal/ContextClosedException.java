package dev.offload.internal;

/**
 * A call refused or failed because its context closed before the call reached a worker: it did not run. Callers
 * catch it as the {@link IllegalStateException} it is; the default context's front end retries such a call on the
 * next default context.
 */
public final class ContextClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ContextClosedException(String message) {
        super(message);
    }
}
