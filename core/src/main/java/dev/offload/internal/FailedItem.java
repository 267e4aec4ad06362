package dev.offload.internal;

/**
 * Which item of a map stopped it: added as a suppressed exception to the failure a fail-fast map throws, which is the
 * function's own exception, so that the trace names the item without changing what callers catch. Not thrown.
 */
public final class FailedItem extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private FailedItem(String message) {
        super(message, null, false, false);
    }

    /**
     * Notes on {@code failure} that the map's item {@code index} (its position in the input, from 0) failed with it.
     * Returns {@code failure}.
     */
    public static <T extends Throwable> T note(T failure, long index) {
        for (Throwable s : failure.getSuppressed()) {
            if (s instanceof FailedItem) {
                return failure; // one note is enough (an exception the function throws again and again)
            }
        }
        failure.addSuppressed(new FailedItem("thrown by item " + index + " of the map (its position in the input, "
                + "from 0); the map stopped at this failure (errors FAIL_FAST, the default): with errors COLLECT it "
                + "runs every item and reports each failure"));
        return failure;
    }
}
