package dev.offload;

import java.util.NoSuchElementException;

/**
 * What became of one input of a map: its index and input, and either the value or the failure.
 *
 * @param <T> input type
 * @param <R> result type
 */
public final class Outcome<T, R> {
    private final long index;
    private final T input;
    private final R value;
    private final Throwable failure;

    Outcome(long index, T input, R value, Throwable failure) {
        this.index = index;
        this.input = input;
        this.value = value;
        this.failure = failure;
    }

    /** A successful item. */
    public static <T, R> Outcome<T, R> success(long index, T input, R value) {
        return new Outcome<>(index, input, value, null);
    }

    /** A failed item. */
    public static <T, R> Outcome<T, R> failure(long index, T input, Throwable failure) {
        return new Outcome<>(index, input, null, java.util.Objects.requireNonNull(failure, "failure"));
    }

    /** Position of the input, from 0. */
    public long index() {
        return index;
    }

    public T input() {
        return input;
    }

    public boolean isSuccess() {
        return failure == null;
    }

    /** The value; throws if the item failed. */
    public R value() {
        if (failure != null) {
            throw new NoSuchElementException("item " + index + " failed: " + failure);
        }
        return value;
    }

    /** The failure, or {@code null} if the item succeeded. */
    public Throwable failure() {
        return failure;
    }

    @Override
    public String toString() {
        return isSuccess() ? "Success(" + index + ": " + value + ")" : "Failure(" + index + ": " + failure + ")";
    }
}
