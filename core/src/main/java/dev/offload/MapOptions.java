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
        /** Stop pulling input, cancel the tasks in flight, throw the first failure as itself. */
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
        /** The calling thread, one item at a time (concurrency 1), with the same error policy. */
        INLINE;

        /** The registry name: {@code child-jvm}, {@code threads} or {@code inline}. */
        public String backendName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Fail fast, ordered, concurrency from the limiter, child JVMs. */
    public static final MapOptions DEFAULT = builder().build();

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
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Tasks running at once; 0 means "the capacity of the limiter". */
    public int concurrency() {
        return concurrency;
    }

    public boolean ordered() {
        return ordered;
    }

    /** Items in flight at most; 0 means 2 x concurrency. */
    public int window() {
        return window;
    }

    /** Per-task timeout, or {@code null} for none. */
    public Duration taskTimeout() {
        return taskTimeout;
    }

    public Errors errors() {
        return errors;
    }

    /** With {@link Errors#COLLECT}: stop and throw once this many items failed; 0 for no limit. */
    public int maxFailures() {
        return maxFailures;
    }

    public boolean killOnCancel() {
        return killOnCancel;
    }

    /** The name of the backend tasks run on (see {@link MapBackends}). */
    public String backendName() {
        return backend;
    }

    /** The progress listener, or {@code null}. */
    public MapProgress.Listener progress() {
        return progress;
    }

    /** At most one progress snapshot per this interval (the final one always comes). */
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

        private Builder() {}

        public Builder concurrency(int concurrency) {
            if (concurrency <= 0) {
                throw new IllegalArgumentException("concurrency must be > 0, was " + concurrency
                        + "; use auto() for processors - 1");
            }
            this.concurrency = concurrency;
            return this;
        }

        /** Concurrency = available processors - 1, at least 1 (leaves a core for the caller). */
        public Builder auto() {
            this.concurrency = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
            return this;
        }

        public Builder ordered(boolean ordered) {
            this.ordered = ordered;
            return this;
        }

        public Builder window(int window) {
            if (window <= 0) {
                throw new IllegalArgumentException("window must be > 0, was " + window);
            }
            this.window = window;
            return this;
        }

        public Builder taskTimeout(Duration taskTimeout) {
            Objects.requireNonNull(taskTimeout, "taskTimeout");
            if (taskTimeout.isNegative() || taskTimeout.isZero()) {
                throw new IllegalArgumentException("taskTimeout must be > 0, was " + taskTimeout);
            }
            this.taskTimeout = taskTimeout;
            return this;
        }

        public Builder errors(Errors errors) {
            this.errors = Objects.requireNonNull(errors, "errors");
            return this;
        }

        public Builder maxFailures(int maxFailures) {
            if (maxFailures < 0) {
                throw new IllegalArgumentException("maxFailures must be >= 0, was " + maxFailures);
            }
            this.maxFailures = maxFailures;
            return this;
        }

        public Builder killOnCancel(boolean killOnCancel) {
            this.killOnCancel = killOnCancel;
            return this;
        }

        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend").backendName();
            return this;
        }

        /** A backend by its registry name, built in or registered with {@link MapBackends#register}. */
        public Builder backend(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("backend name must not be blank, was \"" + name + "\"");
            }
            this.backend = name;
            return this;
        }

        public Builder progress(MapProgress.Listener listener) {
            this.progress = listener;
            return this;
        }

        public Builder progressInterval(Duration interval) {
            Objects.requireNonNull(interval, "progressInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("progressInterval must be >= 0, was " + interval);
            }
            this.progressInterval = interval;
            return this;
        }

        public MapOptions build() {
            return new MapOptions(this);
        }
    }
}
