package dev.offload;

import dev.offload.internal.ContextCore;
import dev.offload.internal.Defaults;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The built-in places a map's tasks run: worker JVMs, threads of this JVM, or the calling thread. */
final class MapBackends {
    private MapBackends() {}

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    static <T, R> MapRun.Backend<T, R> create(ContextCore core, Fn1<T, R, ?> fn, MapOptions options) {
        switch (options.backend()) {
            case THREADS:
                return threads(fn, options);
            case INLINE:
                return inline(fn);
            default:
                return childJvm(core, fn, options);
        }
    }

    /** Each task is a call in a worker JVM; a timeout or a cancellation kills that worker (killOnCancel). */
    private static <T, R> MapRun.Backend<T, R> childJvm(ContextCore core, Fn1<T, R, ?> fn, MapOptions options) {
        Limiter limiter = options.concurrency() > 0 ? Limiter.create(options.concurrency()) : Defaults.limiter();
        CallOptions call = CallOptions.builder().limiter(limiter).killOnCancel(options.killOnCancel()).build();
        int window = 2 * limiter.capacity();
        core.submitCheck(fn); // a lambda or bound reference fails here, before any input is read
        return new MapRun.Backend<>() {
            @Override
            @SuppressWarnings("unchecked")
            public CompletableFuture<R> start(T item) {
                // Completing on the reader thread is safe here: the map only records which item finished.
                dev.offload.internal.CallFuture<Object> f = core.submit(fn, new Object[] {item}, call, true);
                if (options.taskTimeout() != null) {
                    // The clock starts when a worker has the task; timing out completes f, which kills that worker.
                    f.started().thenRun(() -> f.orTimeout(options.taskTimeout().toNanos(), TimeUnit.NANOSECONDS));
                }
                return (CompletableFuture<R>) (CompletableFuture<?>) f;
            }

            @Override
            public int defaultWindow() {
                return window;
            }

            @Override
            public void close() {
                // the context owns the workers
            }
        };
    }

    /** Each task runs on one of {@code concurrency} threads of this JVM; cancelling interrupts it. */
    private static <T, R> MapRun.Backend<T, R> threads(Fn1<T, R, ?> fn, MapOptions options) {
        int n = options.concurrency() > 0 ? options.concurrency() : Defaults.limiter().capacity();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "offload-map-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new MapRun.Backend<>() {
            @Override
            public CompletableFuture<R> start(T item) {
                CompletableFuture<R> result = new CompletableFuture<>();
                FutureTask<R> task = new FutureTask<>(() -> {
                    if (options.taskTimeout() != null) { // the clock starts when a thread has the task
                        result.orTimeout(options.taskTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    }
                    return fn.apply(item);
                }) {
                    @Override
                    protected void done() {
                        try {
                            result.complete(get());
                        } catch (java.util.concurrent.ExecutionException e) {
                            result.completeExceptionally(e.getCause());
                        } catch (java.util.concurrent.CancellationException | InterruptedException e) {
                            result.cancel(false);
                        }
                    }
                };
                result.whenComplete((r, e) -> {
                    if (!task.isDone()) {
                        task.cancel(true); // a timeout or a cancellation: interrupt (cooperative)
                    }
                });
                pool.execute(task);
                return result;
            }

            @Override
            public int defaultWindow() {
                return 2 * n;
            }

            @Override
            public void close() {
                pool.shutdownNow();
            }
        };
    }

    /** Each task runs in the caller, when the map needs its result. */
    private static <T, R> MapRun.Backend<T, R> inline(Fn1<T, R, ?> fn) {
        return new MapRun.Backend<>() {
            @Override
            public CompletableFuture<R> start(T item) {
                try {
                    return CompletableFuture.completedFuture(fn.apply(item));
                } catch (Exception e) {
                    return CompletableFuture.failedFuture(e);
                }
            }

            @Override
            public int defaultWindow() {
                return 1;
            }

            @Override
            public void close() {
                // nothing to release
            }
        };
    }
}
