package dev.offload;

import dev.offload.internal.CallFuture;
import dev.offload.internal.ContextCore;
import dev.offload.internal.Defaults;
import dev.offload.internal.Functions;
import dev.offload.internal.protocol.FunctionId;
import dev.offload.internal.Secrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The registry of {@link MapBackend}s: the built-in {@code child-jvm} (worker JVMs), {@code threads} (this JVM) and
 * {@code inline} (the calling thread), those found by {@link ServiceLoader}, and those registered here.
 *
 * <p>Thread-safe.
 */
public final class MapBackends {
    private MapBackends() {}

    private static final AtomicInteger THREAD_IDS = new AtomicInteger();
    private static final Map<String, MapBackend> REGISTERED = new TreeMap<>();
    private static boolean loaded;

    /**
     * Adds a backend, replacing none: a second backend with the same name is refused.
     *
     * @param backend the backend, selected afterwards by its {@link MapBackend#name()}
     * @throws IllegalArgumentException if the name is blank or taken
     */
    public static synchronized void register(MapBackend backend) {
        String name = backend.name();
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a map backend needs a name, " + backend.getClass().getName()
                    + " returned \"" + name + "\"");
        }
        loadServices();
        if (REGISTERED.containsKey(name)) {
            throw new IllegalArgumentException("a map backend named \"" + name + "\" is already registered ("
                    + REGISTERED.get(name).getClass().getName() + ")");
        }
        REGISTERED.put(name, backend);
    }

    /**
     * The names of every backend that can be selected now.
     *
     * @return the names of the built-in and registered backends, in alphabetical order (a copy)
     */
    public static synchronized List<String> names() {
        loadServices();
        return new ArrayList<>(REGISTERED.keySet());
    }

    /** The backend selected by name. */
    static synchronized MapBackend named(String name) {
        loadServices();
        MapBackend b = REGISTERED.get(name);
        if (b == null) {
            throw new IllegalArgumentException("unknown map backend \"" + name + "\"; registered: "
                    + String.join(", ", REGISTERED.keySet()) + " (register yours with MapBackends.register or a"
                    + " META-INF/services/dev.offload.MapBackend file)");
        }
        return b;
    }

    private static final String NULL_OPTIONS = "options must not be null; pass MapOptions.DEFAULT for the defaults";

    /** Opens a run of the backend the options name, turning a failing backend into a clear error. */
    static <T, R> MapBackend.Runner<T, R> open(WorkerContext ctx, Fn1<T, R, ?> fn, MapOptions options) {
        java.util.Objects.requireNonNull(fn, "fn must not be null; pass a method reference such as Fns::fib");
        java.util.Objects.requireNonNull(options, NULL_OPTIONS);
        MapBackend backend = named(options.backendName());
        try {
            return backend.open(ctx, fn, options);
        } catch (IllegalArgumentException e) {
            throw e; // a function or option the backend refuses: already a clear message
        } catch (RuntimeException e) {
            throw new IllegalStateException("map backend \"" + backend.name() + "\" failed to start: " + e, e);
        }
    }

    /** {@link #open} for a stateful task. */
    static <A, S, T, R> MapBackend.Runner<T, R> openStateful(WorkerContext ctx, StatefulTask<A, S, T, R> task,
            MapOptions options) {
        java.util.Objects.requireNonNull(task, "task must not be null; build one with StatefulTask.of(...)");
        java.util.Objects.requireNonNull(options, NULL_OPTIONS);
        MapBackend backend = named(options.backendName());
        try {
            return backend.openStateful(ctx, task, options);
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("map backend \"" + backend.name() + "\" does not run stateful tasks;"
                    + " use child-jvm, threads or inline, or implement MapBackend.openStateful", e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException("map backend \"" + backend.name() + "\" failed to start: " + e, e);
        }
    }

    private static final AtomicLong MAP_KEYS = new AtomicLong();

    private static ThreadFactory daemonThreads() {
        return r -> {
            Thread t = new Thread(r, "offload-map-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void loadServices() {
        if (loaded) {
            return;
        }
        loaded = true;
        REGISTERED.put("child-jvm", new ChildJvm());
        REGISTERED.put("threads", new Threads());
        REGISTERED.put("inline", new Inline());
        for (MapBackend b : ServiceLoader.load(MapBackend.class)) {
            REGISTERED.putIfAbsent(b.name(), b);
        }
    }

    /** Each task is a call in a worker JVM; a timeout or a cancellation kills that worker (killOnCancel). */
    private static final class ChildJvm implements MapBackend {
        @Override
        public String name() {
            return "child-jvm";
        }

        @Override
        public <T, R> Runner<T, R> open(WorkerContext ctx, Fn1<T, R, ?> fn, MapOptions options) {
            dev.offload.internal.ContextCore core = Secrets.core(ctx);
            Limiter limiter = options.concurrency() > 0 ? Limiter.create(options.concurrency()) : Defaults.limiter();
            CallOptions call = CallOptions.builder().limiter(limiter).killOnCancel(options.killOnCancel()).build();
            int window = 2 * limiter.capacity();
            core.submitCheck(fn); // a lambda or bound reference fails here, before any input is read
            return new Runner<>() {
                @Override
                @SuppressWarnings("unchecked")
                public CompletableFuture<R> start(T item) {
                    // Completing on the reader thread is safe here: the map only records which item finished.
                    dev.offload.internal.CallFuture<Object> f = core.submit(fn, new Object[] {item}, call, true);
                    if (options.taskTimeout() != null) {
                        // The clock starts when a worker has the task; timing out completes f, which kills that worker.
                        f.timeLimit(options.taskTimeout().toNanos());
                    }
                    return (CompletableFuture<R>) (CompletableFuture<?>) f;
                }

                @Override
                @SuppressWarnings("unchecked")
                public List<CompletableFuture<R>> startBatch(List<T> items) {
                    List<CompletableFuture<R>> futures = new ArrayList<>(items.size());
                    for (int i = 0; i < items.size(); i++) {
                        futures.add(new CompletableFuture<>());
                    }
                    Throwable[] refused = new Throwable[items.size()];
                    dev.offload.internal.CallFuture<Object> f = core.submitBatch(fn, items, call, refused);
                    if (f != null && options.taskTimeout() != null) {
                        f.timeLimit(options.taskTimeout().toNanos());
                    }
                    for (int i = 0; i < items.size(); i++) {
                        if (refused[i] != null) {
                            futures.get(i).completeExceptionally(refused[i]);
                        } else {
                            futures.get(i).whenComplete((r, e) -> {
                                if (e instanceof java.util.concurrent.CancellationException) {
                                    f.cancel(true); // the map stops: so does the batch (killOnCancel as set)
                                }
                            });
                        }
                    }
                    if (f != null) {
                        f.whenComplete((results, e) -> {
                            int at = 0;
                            for (int i = 0; i < items.size(); i++) {
                                if (refused[i] != null) {
                                    continue;
                                }
                                CompletableFuture<R> item = futures.get(i);
                                if (e != null) {
                                    item.completeExceptionally(e instanceof java.util.concurrent.CompletionException
                                            && e.getCause() != null ? e.getCause() : e);
                                } else {
                                    Object r = ((Object[]) results)[at++];
                                    if (r instanceof ContextCore.ItemFailure) {
                                        item.completeExceptionally(
                                                ContextCore.thrownByTheFunction(((ContextCore.ItemFailure) r).error));
                                    } else {
                                        item.complete((R) r);
                                    }
                                }
                            }
                        });
                    }
                    return futures;
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

        /** Each slot is a lease: a worker pinned to it for the map, holding the slot's state. */
        @Override
        public <A, S, T, R> Runner<T, R> openStateful(WorkerContext ctx, StatefulTask<A, S, T, R> task,
                MapOptions options) {
            ContextCore core = Secrets.core(ctx);
            int n = task.slots(options, Defaults.limiter().capacity());
            Limiter limiter = options.concurrency() > 0 || task.slotArguments() != null ? Limiter.create(n)
                    : Defaults.limiter();
            CallOptions call = CallOptions.builder().limiter(limiter).killOnCancel(options.killOnCancel()).build();
            FunctionId init = Functions.of(task.init());
            FunctionId apply = Functions.of(task.apply());
            FunctionId close = task.close() == null ? null : Functions.of(task.close());
            ClassLoader loader = task.apply().getClass().getClassLoader();
            long key = MAP_KEYS.incrementAndGet();
            List<SlotScheduler.Slot<T, R>> slots = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ContextCore.Lease lease = new ContextCore.Lease(i);
                A argument = task.slotArgument(i);
                slots.add(new SlotScheduler.Slot<>() {
                    @Override
                    @SuppressWarnings("unchecked")
                    public SlotScheduler.Running<R> run(T item) {
                        // Delivered off the reader thread: completing it starts the slot's next item.
                        CallFuture<Object> f = core.submitSlot(lease, key, init, task.initTakesArgument(), apply,
                                close, loader, argument, item, call, false);
                        return new SlotScheduler.Running<>((CompletableFuture<R>) (CompletableFuture<?>) f,
                                f.started(), f.settled());
                    }

                    @Override
                    public CompletableFuture<Void> close() {
                        return core.release(lease, key, apply);
                    }
                });
            }
            return new SlotScheduler<>(slots, options.taskTimeout(), core.config().gracePeriod());
        }
    }

    /** Each task runs on one of {@code concurrency} threads of this JVM; cancelling interrupts it. */
    private static final class Threads implements MapBackend {
        @Override
        public String name() {
            return "threads";
        }

        @Override
        public <T, R> Runner<T, R> open(WorkerContext ctx, Fn1<T, R, ?> fn, MapOptions options) {
            int n = options.concurrency() > 0 ? options.concurrency() : Defaults.limiter().capacity();
            ExecutorService pool = Executors.newFixedThreadPool(n, daemonThreads());
            return new Runner<>() {
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
                                result.completeExceptionally(ContextCore.thrownByTheFunction(e.getCause()));
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

        /** Each slot is one thread holding its own state; a timeout or cancellation interrupts it. */
        @Override
        public <A, S, T, R> Runner<T, R> openStateful(WorkerContext ctx, StatefulTask<A, S, T, R> task,
                MapOptions options) {
            int n = task.slots(options, Defaults.limiter().capacity());
            List<SlotScheduler.Slot<T, R>> slots = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                slots.add(new ThreadSlot<>(task, i, Executors.newSingleThreadExecutor(daemonThreads())));
            }
            return new SlotScheduler<>(slots, options.taskTimeout(), Secrets.core(ctx).config().gracePeriod());
        }
    }

    /** A slot of the threads backend: its thread creates, uses and closes the state. */
    private static final class ThreadSlot<A, S, T, R> implements SlotScheduler.Slot<T, R> {
        private final StatefulTask<A, S, T, R> task;
        private final int slot;
        private final ExecutorService thread;
        /** Touched only by the slot's thread. */
        private S state;
        private boolean hasState;

        ThreadSlot(StatefulTask<A, S, T, R> task, int slot, ExecutorService thread) {
            this.task = task;
            this.slot = slot;
            this.thread = thread;
        }

        @Override
        public SlotScheduler.Running<R> run(T item) {
            CompletableFuture<Void> started = new CompletableFuture<>();
            CompletableFuture<Void> settled = new CompletableFuture<>();
            CompletableFuture<R> result = new CompletableFuture<>();
            FutureTask<R> work = new FutureTask<>(() -> {
                started.complete(null);
                if (!hasState) {
                    state = task.init(slot);
                    hasState = true;
                }
                return task.apply().apply(state, item);
            });
            result.whenComplete((r, e) -> work.cancel(true)); // a timeout or a cancellation: interrupt
            thread.execute(() -> {
                try {
                    work.run();
                    result.complete(work.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    result.completeExceptionally(ContextCore.thrownByTheFunction(e.getCause()));
                } catch (java.util.concurrent.CancellationException | InterruptedException e) {
                    result.cancel(false);
                } finally {
                    settled.complete(null);
                }
            });
            return new SlotScheduler.Running<>(result, started, settled);
        }

        @Override
        public CompletableFuture<Void> close() {
            CompletableFuture<Void> done = new CompletableFuture<>();
            thread.execute(() -> {
                try {
                    if (hasState && task.close() != null) {
                        task.close().close(state);
                    }
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(ContextCore.thrownByTheFunction(t));
                } finally {
                    state = null;
                    hasState = false;
                }
            });
            thread.shutdown();
            return done;
        }
    }

    /** Each task runs in the caller, when the map needs its result (window 1, no timeout). */
    private static final class Inline implements MapBackend {
        @Override
        public String name() {
            return "inline";
        }

        @Override
        public <T, R> Runner<T, R> open(WorkerContext ctx, Fn1<T, R, ?> fn, MapOptions options) {
            return new Runner<>() {
                @Override
                public CompletableFuture<R> start(T item) {
                    try {
                        return CompletableFuture.completedFuture(fn.apply(item));
                    } catch (Exception e) {
                        return CompletableFuture.failedFuture(ContextCore.thrownByTheFunction(e));
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

        /** One slot, the caller, holding the state for the whole map. */
        @Override
        public <A, S, T, R> Runner<T, R> openStateful(WorkerContext ctx, StatefulTask<A, S, T, R> task,
                MapOptions options) {
            SlotScheduler.Slot<T, R> slot = new SlotScheduler.Slot<>() {
                private S state;
                private boolean hasState;

                @Override
                public SlotScheduler.Running<R> run(T item) {
                    CompletableFuture<R> result;
                    try {
                        if (!hasState) {
                            state = task.init(0);
                            hasState = true;
                        }
                        result = CompletableFuture.completedFuture(task.apply().apply(state, item));
                    } catch (Exception e) {
                        result = CompletableFuture.failedFuture(ContextCore.thrownByTheFunction(e));
                    }
                    CompletableFuture<Void> done = CompletableFuture.completedFuture(null);
                    return new SlotScheduler.Running<>(result, done, done);
                }

                @Override
                public CompletableFuture<Void> close() {
                    try {
                        if (hasState && task.close() != null) {
                            task.close().close(state);
                        }
                        return CompletableFuture.completedFuture(null);
                    } catch (Exception e) {
                        return CompletableFuture.failedFuture(ContextCore.thrownByTheFunction(e));
                    } finally {
                        state = null;
                        hasState = false;
                    }
                }
            };
            return new SlotScheduler<>(List.of(slot), null, Secrets.core(ctx).config().gracePeriod());
        }
    }
}
