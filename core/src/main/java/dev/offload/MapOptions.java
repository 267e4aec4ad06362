package dev.offload;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link WorkerContext#map} applies one function to many inputs. Immutable; {@link #DEFAULT} or
 * {@link #builder()}.
 *
 * <pre>{@code
 * MapOptions opts = MapOptions.builder()
 *     .concurrency(4)                     // or auto(): processors - 1
 *     .ordered(false)                     // results in completion order
 *     .taskTimeout(Duration.ofSeconds(5)) // the worker running a late task is killed and replaced
 *     .errors(MapOptions.Errors.COLLECT)  // run everything, then throw one MapFailedException
 *     .build();
 * }</pre>
 *
 * <p>Defaults: concurrency = the capacity of the call's limiter (the default limiter: one per processor),
 * ordered, a sliding window of 2 x concurrency items in flight (submitted but not yet handed to you, the reorder
 * buffer included: one straggler bounds memory, never a chunk barrier), no task timeout, fail fast, child JVMs.
 */
public final class MapOptions {
    /** What a failed item does to the map. */
    public enum Errors {
        /**
         * Stop pulling input, cancel the tasks in flight, throw the first failure as itself, with a suppressed
         * exception whose message names the failed item's index.
         */
        FAIL_FAST,
        /** Run every item, then throw one {@link MapFailedException} with every failure in input order. */
        COLLECT
    }

    /** The built-in places tasks run ({@link MapBackends} has custom ones, selected by name). */
    public enum Backend {
        /** Worker JVMs of the context (the default): killable, crash-isolated. */
        CHILD_JVM,
        /**
         * Threads of this JVM, for IO-bound work and debugging: same API and semantics, but nothing can be killed,
         * so timeouts and cancellation only interrupt the thread (cooperative).
         */
        THREADS,
        /**
         * The calling thread, one item at a time (concurrency 1), with the same error policy; nothing can stop an item
         * there, so {@link Builder#taskTimeout(Duration)} does not apply.
         */
        INLINE;

        /**
         * The registry name: {@code child-jvm}, {@code threads} or {@code inline}.
         *
         * @return the backend's registry name
         */
        public String backendName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Fail fast, ordered, concurrency from the limiter, child JVMs. */
    public static final MapOptions DEFAULT = builder().build();

    /**
     * The {@link Builder#batchSize(int) batch size} that lets the map choose: see {@link Builder#autoBatchSize()}.
     */
    public static final int AUTO_BATCH_SIZE = 0;

    private final int concurrency;
    private final boolean ordered;
    private final int window;
    private final Duration taskTimeout;
    private final Errors errors;
    private final int maxFailures;
    private final boolean killOnCancel;
    private final String backend;
    private final MapProgress.Listener progress;
    private final Duration progressInterval;
    private final int batchSize;

    private MapOptions(Builder b) {
        concurrency = b.concurrency;
        ordered = b.ordered;
        window = b.window;
        taskTimeout = b.taskTimeout;
        errors = b.errors;
        maxFailures = b.maxFailures;
        killOnCancel = b.killOnCancel;
        backend = b.backend;
        progress = b.progress;
        progressInterval = b.progressInterval;
        batchSize = b.batchSize;
    }

    /**
     * A builder starting from the settings of {@link #DEFAULT}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Tasks running at once; 0 means "the capacity of the limiter".
     *
     * @return the concurrency, or 0 to take the limiter's capacity
     */
    public int concurrency() {
        return concurrency;
    }

    /**
     * Whether results come in input order ({@code true}, the default) or in completion order.
     *
     * @return {@code true} if results come in input order
     */
    public boolean ordered() {
        return ordered;
    }

    /**
     * Items in flight at most; 0 means 2 x concurrency.
     *
     * @return the window size, or 0 for twice the concurrency
     */
    public int window() {
        return window;
    }

    /**
     * Items that travel to a worker as one request; 1 (the default) sends each item on its own, and
     * {@link #AUTO_BATCH_SIZE} lets the map choose as it goes.
     *
     * @return the batch size, 1 or more, or {@link #AUTO_BATCH_SIZE}
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Per-task timeout, or {@code null} for none.
     *
     * @return the time limit of one task, or {@code null}
     */
    public Duration taskTimeout() {
        return taskTimeout;
    }

    /**
     * What a failed item does to the map; {@link Errors#FAIL_FAST} by default.
     *
     * @return the error policy
     */
    public Errors errors() {
        return errors;
    }

    /**
     * With {@link Errors#COLLECT}: stop and throw once this many items failed; 0 for no limit.
     *
     * @return the failure limit, or 0 for none
     */
    public int maxFailures() {
        return maxFailures;
    }

    /**
     * Whether a task that is cancelled (the map closed early or failing fast) or times out has its worker killed;
     * {@code true} by default.
     *
     * @return {@code true} if cancelled tasks kill their workers
     */
    public boolean killOnCancel() {
        return killOnCancel;
    }

    /**
     * The name of the backend tasks run on (see {@link MapBackends}).
     *
     * @return the backend's registry name
     */
    public String backendName() {
        return backend;
    }

    /**
     * The progress listener, or {@code null}.
     *
     * @return the listener that receives progress snapshots, or {@code null} for none
     */
    public MapProgress.Listener progress() {
        return progress;
    }

    /**
     * At most one progress snapshot per this interval (the final one always comes).
     *
     * @return the shortest time between two progress snapshots (100 ms by default)
     */
    public Duration progressInterval() {
        return progressInterval;
    }

    /** Builds {@link MapOptions}; every setter names a bad value. */
    public static final class Builder {
        private int concurrency;
        private boolean ordered = true;
        private int window;
        private Duration taskTimeout;
        private Errors errors = Errors.FAIL_FAST;
        private int maxFailures;
        private boolean killOnCancel = true;
        private String backend = Backend.CHILD_JVM.backendName();
        private MapProgress.Listener progress;
        private Duration progressInterval = Duration.ofMillis(100);
        private int batchSize = 1;

        private Builder() {}

        /**
         * Sets how many tasks run at once (by default the capacity of the call's limiter). A map with its own
         * concurrency runs under a limiter of its own with that many permits, apart from the default limiter; a map
         * without one takes its permits from the default limiter, shared with every other call that names none.
         *
         * @param concurrency the number of tasks in flight at once, more than zero
         * @return this builder
         * @throws IllegalArgumentException if {@code concurrency} is zero or negative
         */
        public Builder concurrency(int concurrency) {
            if (concurrency <= 0) {
                throw new IllegalArgumentException("concurrency must be > 0, was " + concurrency
                        + "; use auto() for processors - 1");
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * Concurrency = available processors - 1, at least 1 (leaves a core for the caller).
         *
         * @return this builder
         */
        public Builder auto() {
            this.concurrency = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
            return this;
        }

        /**
         * Sets whether results come in input order (the default) or as they complete.
         *
         * @param ordered {@code false} to get results in completion order
         * @return this builder
         */
        public Builder ordered(boolean ordered) {
            this.ordered = ordered;
            return this;
        }

        /**
         * Sets how many items may be in flight at most, submitted but not yet handed out, the reorder buffer included
         * (by default twice the concurrency).
         *
         * @param window the largest number of items in flight, more than zero
         * @return this builder
         * @throws IllegalArgumentException if {@code window} is zero or negative
         */
        public Builder window(int window) {
            if (window <= 0) {
                throw new IllegalArgumentException("window must be > 0, was " + window);
            }
            this.window = window;
            return this;
        }

        /**
         * Sets the time limit of each task: a task that runs longer fails with a {@code TimeoutException} and is
         * cancelled. None by default. With {@link #batchSize(int) batches} it covers a whole batch; the
         * {@link Backend#INLINE} backend has no time limit.
         *
         * @param taskTimeout the time limit of one task, more than zero
         * @return this builder
         * @throws IllegalArgumentException if {@code taskTimeout} is zero or negative
         * @throws NullPointerException if {@code taskTimeout} is null
         */
        public Builder taskTimeout(Duration taskTimeout) {
            Objects.requireNonNull(taskTimeout, "taskTimeout");
            if (taskTimeout.isNegative() || taskTimeout.isZero()) {
                throw new IllegalArgumentException("taskTimeout must be > 0, was " + taskTimeout);
            }
            this.taskTimeout = taskTimeout;
            return this;
        }

        /**
         * Sets what a failed item does to the map ({@link Errors#FAIL_FAST} by default).
         *
         * @param errors the error policy
         * @return this builder
         * @throws NullPointerException if {@code errors} is null
         */
        public Builder errors(Errors errors) {
            this.errors = Objects.requireNonNull(errors, "errors");
            return this;
        }

        /**
         * With {@link Errors#COLLECT}, sets after how many failed items the map stops (cancelling the items in
         * flight, reading no more input) and throws its {@link MapFailedException} (no limit by default). Only with
         * {@code COLLECT}: {@link #build()} refuses a limit with {@link Errors#FAIL_FAST}, which stops at the first.
         *
         * @param maxFailures the failure limit, or 0 for none
         * @return this builder
         * @throws IllegalArgumentException if {@code maxFailures} is negative
         */
        public Builder maxFailures(int maxFailures) {
            if (maxFailures < 0) {
                throw new IllegalArgumentException("maxFailures must be >= 0, was " + maxFailures);
            }
            this.maxFailures = maxFailures;
            return this;
        }

        /**
         * Sets whether cancelling a task, or its timing out, kills the worker running it ({@code true} by default);
         * with {@code false} the task runs to completion and its result is dropped.
         *
         * @param killOnCancel {@code false} to let cancelled tasks finish in their workers
         * @return this builder
         */
        public Builder killOnCancel(boolean killOnCancel) {
            this.killOnCancel = killOnCancel;
            return this;
        }

        /**
         * Sets a built-in backend to run the tasks on ({@link Backend#CHILD_JVM} by default).
         *
         * @param backend the backend
         * @return this builder
         * @throws NullPointerException if {@code backend} is null
         */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend").backendName();
            return this;
        }

        /**
         * A backend by its registry name, built in or registered with {@link MapBackends#register}.
         *
         * @param name the registry name of the backend
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null or blank
         */
        public Builder backend(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("backend name must not be blank, was \"" + name + "\"");
            }
            this.backend = name;
            return this;
        }

        /**
         * Sets how many items travel to a worker JVM as one request (1, the default: each on its own). A call costs
         * a few microseconds of pipe round trip and bookkeeping whatever it does; for tasks that take about as
         * long, batches spread that cost over their items (BENCHMARKS.md has the figures). The function runs on a
         * batch's items one after the other in the same worker.
         *
         * <p>What changes with batches of more than one item:
         * <ul>
         *   <li>a batch starts once it has {@code batchSize} items or the input has ended, so a slow input holds the
         *       items it already gave until the batch is full;</li>
         *   <li>the window holds whole batches: without {@link #window(int)} it is twice the concurrency times the
         *       batch size, and a window smaller than the batch size is refused; a window under the concurrency
         *       times the batch size leaves workers idle, as a batch starts only once the whole of it fits;</li>
         *   <li>a batch's results and failures all arrive when its last item is done, and a failing item does not
         *       stop the rest of its batch: with fail-fast, its failure is thrown once its batch has run;</li>
         *   <li>an item that throws fails only itself, as without batches; but a worker that crashes, is killed or
         *       runs past {@link #taskTimeout(Duration)} fails every item of its batch, and the time limit covers the
         *       whole batch;</li>
         *   <li>the context's statistics count a batch as one call, and its {@code retire} rule is asked once per
         *       batch.</li>
         * </ul>
         * Only the {@code child-jvm} backend sends batches; the other backends, stateful maps and custom backends
         * that do not implement {@link MapBackend.Runner#startBatch} run items one by one.
         *
         * @param batchSize the items per request, 1 or more; or {@link MapOptions#AUTO_BATCH_SIZE}, as
         *     {@link #autoBatchSize()}
         * @return this builder
         * @throws IllegalArgumentException if {@code batchSize} is negative
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 0) {
                throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize
                        + "; 1 sends each item on its own, and AUTO_BATCH_SIZE (0) lets the map choose");
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Lets the map choose how many items travel together, from how long its batches take: for many quick items,
         * whose own time is about a call's fixed cost or less. It starts with single items, doubles the size while
         * a batch of that size takes under 10 ms, up to 1,024 items, and shrinks it at once when a batch takes over
         * 100 ms. Items that take long on their own therefore still go one per call, and only quick items share the
         * fate of a batch: what {@link #batchSize(int)} says of batches holds for these. With a
         * {@link #taskTimeout(Duration)}, batches are kept to about a tenth of it.
         *
         * <p>Without {@link #window(int)}, the window is twice the concurrency times the current batch size; with
         * one, batches are at most the window.
         *
         * @return this builder
         */
        public Builder autoBatchSize() {
            this.batchSize = AUTO_BATCH_SIZE;
            return this;
        }

        /**
         * Sets the listener that receives {@link MapProgress} snapshots while the map runs: on the thread that
         * consumes the map's results, at most one per {@link #progressInterval(Duration)}, and always a final one.
         * A listener that throws ends the map as a failing item would under fail-fast: the items in flight are
         * cancelled (their workers killed, with {@link #killOnCancel(boolean)}), stateful slots are closed, and its
         * exception is thrown from the map as itself, or suppressed in the map's own failure if the map failed too;
         * it gets no more reports.
         *
         * @param listener the listener, or {@code null} for none
         * @return this builder
         */
        public Builder progress(MapProgress.Listener listener) {
            this.progress = listener;
            return this;
        }

        /**
         * Sets the shortest time between two progress snapshots (100 ms by default); the final snapshot always comes.
         *
         * @param interval the interval, zero or more
         * @return this builder
         * @throws IllegalArgumentException if {@code interval} is negative
         * @throws NullPointerException if {@code interval} is null
         */
        public Builder progressInterval(Duration interval) {
            Objects.requireNonNull(interval, "progressInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("progressInterval must be >= 0, was " + interval);
            }
            this.progressInterval = interval;
            return this;
        }

        /**
         * Builds the options from this builder's settings.
         *
         * @return new immutable options
         * @throws IllegalArgumentException if the window is smaller than the batch size (for a backend that batches),
         *     or a failure limit is set without {@link Errors#COLLECT}
         */
        public MapOptions build() {
            boolean batches = !backend.equals(Backend.THREADS.backendName())
                    && !backend.equals(Backend.INLINE.backendName()); // those two run items one by one
            if (maxFailures > 0 && errors == Errors.FAIL_FAST) {
                throw new IllegalArgumentException("maxFailures (" + maxFailures + ") applies only with "
                        + "errors(Errors.COLLECT); FAIL_FAST, the default, already stops at the first failure: add "
                        + ".errors(MapOptions.Errors.COLLECT), or drop maxFailures");
            }
            if (window > 0 && batchSize != AUTO_BATCH_SIZE && window < batchSize && batches) {
                throw new IllegalArgumentException("window (" + window + ") is smaller than batchSize (" + batchSize
                        + "): the window must hold at least one batch; raise the window or lower batchSize");
            }
            return new MapOptions(this);
        }
    }
}
