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

    /**
     * A successful item.
     *
     * @param <T> the type of the input
     * @param <R> the type of the result
     * @param index the position of the input, from 0
     * @param input the input item
     * @param value the result the function gave for it
     * @return a successful outcome
     */
    public static <T, R> Outcome<T, R> success(long index, T input, R value) {
        return new Outcome<>(index, input, value, null);
    }

    /**
     * A failed item.
     *
     * @param <T> the type of the input
     * @param <R> the type of the result
     * @param index the position of the input, from 0
     * @param input the input item
     * @param failure what the item failed with
     * @return a failed outcome
     * @throws NullPointerException if {@code failure} is null
     */
    public static <T, R> Outcome<T, R> failure(long index, T input, Throwable failure) {
        return new Outcome<>(index, input, null, java.util.Objects.requireNonNull(failure, "failure"));
    }

    /**
     * Position of the input, from 0.
     *
     * @return the input's index
     */
    public long index() {
        return index;
    }

    /**
     * The input item this outcome belongs to.
     *
     * @return the input item
     */
    public T input() {
        return input;
    }

    /**
     * Whether the item succeeded; if not, {@link #failure()} says why.
     *
     * @return {@code true} if the item has a value, {@code false} if it failed
     */
    public boolean isSuccess() {
        return failure == null;
    }

    /**
     * The value; throws if the item failed.
     *
     * @return the result of the item, possibly {@code null}
     * @throws java.util.NoSuchElementException if the item failed
     */
    public R value() {
        if (failure != null) {
            throw new NoSuchElementException("item " + index + " failed: " + failure);
        }
        return value;
    }

    /**
     * The failure, or {@code null} if the item succeeded.
     *
     * @return what the item failed with, or {@code null}
     */
    public Throwable failure() {
        return failure;
    }

    @Override
    public String toString() {
        return isSuccess() ? "Success(" + index + ": " + value + ")" : "Failure(" + index + ": " + failure + ")";
    }
}
