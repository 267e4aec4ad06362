package dev.offload;

import java.util.concurrent.CompletableFuture;

/**
 * A place where the tasks of a map run: the SPI for custom backends (a cluster, a GPU queue, a remote pool).
 * Register one with {@link MapBackends#register(MapBackend)} or through {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/dev.offload.MapBackend} file), then select it with
 * {@link MapOptions.Builder#backend(String)}. The built-in ones are named {@code child-jvm}, {@code threads} and
 * {@code inline}.
 *
 * <pre>{@code
 * MapBackends.register(new MyClusterBackend());            // name() = "cluster"
 * ctx.mapAll(Fns::score, docs, MapOptions.builder().backend("cluster").build());
 * }</pre>
 *
 * <p>Implementations must be thread-safe; a {@link Runner} serves one map and is used from one thread.
 */
public interface MapBackend {
    /**
     * The name options select it by: lower case, unique.
     *
     * @return the backend's registry name
     */
    String name();

    /**
     * Prepares one map run of {@code fn}.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function to apply to every item
     * @param options the options of the map (concurrency, timeout, limiter and so on)
     * @return a runner serving this one map
     * @param worker the context the map was started from (a backend may ignore it)
     */
    <T, R> Runner<T, R> open(WorkerContext worker, Fn1<T, R, ?> fn, MapOptions options);

    /**
     * Prepares one map run of a {@link StatefulTask}: a fixed number of slots, each with its own state, one item at
     * a time per slot. Backends that cannot keep state per slot leave this default, which refuses.
     *
     * @param <A> the type of the slot arguments
     * @param <S> the type of a slot's state
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param worker the context the map was started from (a backend may ignore it)
     * @param task the task: its init, apply and close functions and its slot arguments
     * @param options the options of the map
     * @return a runner serving this one map
     * @throws UnsupportedOperationException if this backend does not run stateful tasks
     */
    default <A, S, T, R> Runner<T, R> openStateful(WorkerContext worker, StatefulTask<A, S, T, R> task,
            MapOptions options) {
        throw new UnsupportedOperationException("map backend \"" + name() + "\" does not run stateful tasks");
    }

    /**
     * One map run on this backend.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     */
    interface Runner<T, R> extends AutoCloseable {
        /**
         * Starts one task. The future completes with its result or failure; the map cancels it to stop the task
         * (and completes it exceptionally with a {@code TimeoutException} when the task runs past its timeout).
         *
         * @param item the input item
         * @return the future of the task's result
         */
        CompletableFuture<R> start(T item);

        /**
         * Starts a batch of items ({@link MapOptions#batchSize()} more than 1): one future per item, in order, each
         * completing with that item's result or failure; the map cancels any of them to stop the batch. The default
         * starts each item on its own with {@link #start}; an item that {@code start} refuses (throws) fails alone.
         *
         * @param items the batch's items, at least one
         * @return the items' futures, in the order of {@code items}
         */
        default java.util.List<CompletableFuture<R>> startBatch(java.util.List<T> items) {
            java.util.List<CompletableFuture<R>> futures = new java.util.ArrayList<>(items.size());
            for (T item : items) {
                try {
                    futures.add(start(item));
                } catch (RuntimeException e) {
                    futures.add(CompletableFuture.failedFuture(e));
                }
            }
            return futures;
        }

        /**
         * Items in flight when the options name no window; usually 2 x concurrency.
         *
         * @return the window to use when the options set none
         */
        int defaultWindow();

        /** Releases what the run holds; called once, when the map ends or is closed. */
        @Override
        void close();
    }
}
