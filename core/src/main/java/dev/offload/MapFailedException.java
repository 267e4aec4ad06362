package dev.offload;

import java.util.List;

/**
 * Items of a map failed under {@link MapOptions.Errors#COLLECT} (or {@code maxFailures} was reached): every failure
 * in input order, each also attached as a suppressed exception.
 */
public final class MapFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<Outcome<?, ?>> failures;

    MapFailedException(String message, List<Outcome<?, ?>> failures) {
        super(message);
        this.failures = List.copyOf(failures);
        for (Outcome<?, ?> f : failures) {
            addSuppressed(f.failure());
        }
    }

    /**
     * The failed items, by input index.
     *
     * @return one failed {@link Outcome} per failed item, in input order (unmodifiable)
     */
    public List<Outcome<?, ?>> failures() {
        return failures;
    }
}
