package dev.offload;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link WorkerContext} starts and keeps its workers. Immutable; made with {@link #builder()}.
 *
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.builder()
 *     .idleTimeout(Duration.ofSeconds(30))
 *     .jvmOptions("-Xmx512m")
 *     .init(Fns::loadModel)
 *     .retire(Fns::afterTenCalls)
 *     .build();
 * }</pre>
 *
 * <p>Defaults: idle timeout 10 minutes, grace period 30 seconds, startup timeout 30 seconds, no init, no
 * retire, the parent's {@code java} ({@code java.home}) and classpath, maximum frame 256 MiB, no prestart, the
 * parent's JaCoCo agent if it has one ({@link AgentInheritance#JACOCO}).
 */
public final class WorkerConfig {
    private static final WorkerConfig DEFAULT = new Builder().build();

    private final Duration idleTimeout;
    private final Duration gracePeriod;
    private final Duration startupTimeout;
    private final Fn0<?, ?> init;
    private final Fn0<Boolean, ?> retire;
    private final List<String> jvmOptions;
    private final Map<String, String> systemProperties;
    private final Map<String, String> environment;
    private final Path javaExecutable;
    private final List<Path> extraClasspath;
    private final int prestart;
    private final int maxFrameSize;
    private final String allowSerializable;
    private final Path flightRecordings;
    private final boolean classDataSharing;
    private final Duration spinWait;
    private final AgentInheritance inheritAgents;

    private WorkerConfig(Builder b) {
        idleTimeout = b.idleTimeout;
        gracePeriod = b.gracePeriod;
        startupTimeout = b.startupTimeout;
        init = b.init;
        retire = b.retire;
        jvmOptions = List.copyOf(b.jvmOptions);
        systemProperties = Collections.unmodifiableMap(new LinkedHashMap<>(b.systemProperties));
        environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
        javaExecutable = b.javaExecutable;
        extraClasspath = List.copyOf(b.extraClasspath);
        prestart = b.prestart;
        maxFrameSize = b.maxFrameSize;
        allowSerializable = String.join(";", b.allowSerializable);
        flightRecordings = b.flightRecordings;
        classDataSharing = b.classDataSharing;
        spinWait = b.spinWait;
        inheritAgents = b.inheritAgents;
    }

    /**
     * The configuration used when none is given.
     *
     * @return the default configuration: a 10 minute idle timeout, 30 second grace period and start-up timeout, no
     *     init, no retire, no prestart
     */
    public static WorkerConfig defaults() {
        return DEFAULT;
    }

    /**
     * A builder starting from the defaults of {@link #defaults()}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder starting from this configuration.
     *
     * @return a new builder holding every setting of this configuration
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.idleTimeout = idleTimeout;
        b.gracePeriod = gracePeriod;
        b.startupTimeout = startupTimeout;
        b.init = init;
        b.retire = retire;
        b.jvmOptions.addAll(jvmOptions);
        b.systemProperties.putAll(systemProperties);
        b.environment.putAll(environment);
        b.javaExecutable = javaExecutable;
        b.extraClasspath.addAll(extraClasspath);
        b.prestart = prestart;
        b.maxFrameSize = maxFrameSize;
        if (!allowSerializable.isEmpty()) {
            b.allowSerializable.add(allowSerializable);
        }
        b.flightRecordings = flightRecordings;
        b.classDataSharing = classDataSharing;
        b.spinWait = spinWait;
        b.inheritAgents = inheritAgents;
        return b;
    }

    /**
     * How long a worker may sit idle in the cache before it is shut down.
     *
     * @return the idle timeout of a cached worker
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * How long {@link WorkerContext#close()} waits for running calls and exiting workers before SIGKILL.
     *
     * @return the grace period of {@link WorkerContext#close()}
     */
    public Duration gracePeriod() {
        return gracePeriod;
    }

    /**
     * How long a new worker has to complete its handshake (and init) before it is killed.
     *
     * @return the time a new worker has to become ready
     */
    public Duration startupTimeout() {
        return startupTimeout;
    }

    /**
     * Runs once in each new worker before its first call, or {@code null}.
     *
     * @return the per-worker init function, or {@code null} for none
     */
    public Fn0<?, ?> init() {
        return init;
    }

    /**
     * Runs in the worker after each call; {@code true} makes the worker exit after that call. Or {@code null}.
     *
     * @return the after-call retirement check, or {@code null} for none
     */
    public Fn0<Boolean, ?> retire() {
        return retire;
    }

    /**
     * Extra options for the worker JVM, after Offload's own (so they win). Workers use the serial collector unless
     * these choose one ({@code -XX:+UseG1GC}, {@code -XX:+UseParallelGC}, ...), and start with a 16 MiB heap
     * ({@code -Xms16m}) unless these size the heap ({@code -Xms}, {@code -Xmx}, {@code ...HeapSize},
     * {@code MaxRAM...}).
     *
     * @return the extra JVM options, in order, unmodifiable
     */
    public List<String> jvmOptions() {
        return jvmOptions;
    }

    /**
     * System properties set in the worker JVM ({@code -Dkey=value}).
     *
     * @return the system properties of the workers, by key, unmodifiable
     */
    public Map<String, String> systemProperties() {
        return systemProperties;
    }

    /**
     * Environment changes for the worker: variables to set, and to remove where the value is {@code null}.
     *
     * @return the environment changes, by variable name (a {@code null} value removes the variable), unmodifiable
     */
    public Map<String, String> environment() {
        return environment;
    }

    /**
     * The {@code java} launcher of the workers.
     *
     * @return the path of the {@code java} launcher that starts workers
     */
    public Path javaExecutable() {
        return javaExecutable;
    }

    /**
     * Entries appended to the parent's classpath in the worker.
     *
     * @return the extra classpath entries, in order, unmodifiable
     */
    public List<Path> extraClasspath() {
        return extraClasspath;
    }

    /**
     * Workers started in the background as soon as the context opens.
     *
     * @return how many workers a new context starts at once (0 by default)
     */
    public int prestart() {
        return prestart;
    }

    /**
     * Largest frame payload (arguments or result) in bytes.
     *
     * @return the largest frame payload, in bytes
     */
    public int maxFrameSize() {
        return maxFrameSize;
    }

    /**
     * Extra classes the default Java codec may deserialize, in {@link java.io.ObjectInputFilter} pattern syntax.
     *
     * @return the extra patterns joined with {@code ;}, or an empty string for none
     */
    public String allowSerializable() {
        return allowSerializable;
    }

    /**
     * Where workers write their own Flight Recorder recordings while this JVM is recording, or {@code null} (the
     * default: workers never record).
     *
     * @return the absolute directory of worker recordings, or {@code null} when workers never record
     */
    public Path flightRecordings() {
        return flightRecordings;
    }

    /**
     * Whether workers use an automatically created class-data-sharing archive (when the classpath is all jars).
     *
     * @return {@code true} if workers may use the class-data-sharing archive
     */
    public boolean classDataSharing() {
        return classDataSharing;
    }

    /**
     * How long each side polls for the next frame before blocking, when set with {@link Builder#spinWait}: zero for
     * never. Unset (the default), spinning is adaptive: see {@link #adaptiveSpin()}.
     *
     * @return the polling time before blocking; {@link Duration#ZERO} when spinning is off or adaptive
     */
    public Duration spinWait() {
        return spinWait == null ? Duration.ZERO : spinWait;
    }

    /**
     * Whether spinning is adaptive (the default, unless {@link Builder#spinWait} was set): a blocking call's caller
     * and its worker poll briefly for each other's next frame (30 µs at most) only while that caller is the only
     * call waiting in this JVM (up to half the processors with more than two; and not within 10 ms of a moment
     * when more waited at once), and only while that worker's recent replies to spinning calls came back within
     * that time; while they do not, a probe of three spinning calls now and then finds out whether they would again.
     * So a run of short calls from one thread skips two thread wake-ups per call, callers that keep every processor
     * busy never spin, and a machine where spinning does not pay spins in few calls. A coroutine's call (Kotlin
     * {@code runSync}) polls for its reply on the coroutine's thread for up to 50 µs, yielding to that thread's other
     * coroutines between polls, then leaves it to the worker's reader thread; after polls that missed, the next 1 to
     * 64 calls do not poll. Another asynchronous call ({@code submit}) waiting alone may spin too: then the worker's
     * reader thread and the worker poll between one call and the next, yielding their processors, in whichever of
     * spinning and blocking has recently given that worker's calls the shorter cycles (the other is tried for a few
     * calls in every 64). BENCHMARKS.md measures these against spinning off.
     *
     * @return {@code true} if spinning is adaptive
     */
    public boolean adaptiveSpin() {
        return spinWait == null;
    }

    /**
     * Which of this JVM's Java agents workers start with; {@link AgentInheritance#JACOCO} by default.
     *
     * @return which Java agents workers inherit
     */
    public AgentInheritance inheritAgents() {
        return inheritAgents;
    }

    @Override
    public String toString() {
        return "WorkerConfig(idleTimeout=" + idleTimeout + ", gracePeriod=" + gracePeriod + ", startupTimeout="
                + startupTimeout + ", init=" + (init != null) + ", retire=" + (retire != null) + ", jvmOptions="
                + jvmOptions + ", systemProperties=" + systemProperties + ", environment=" + environment.keySet()
                + ", javaExecutable=" + javaExecutable + ", extraClasspath=" + extraClasspath + ", prestart="
                + prestart + ", maxFrameSize=" + maxFrameSize + ", inheritAgents=" + inheritAgents
                + (flightRecordings == null ? "" : ", flightRecordings=" + flightRecordings) + ")";
    }

    /** Builds a {@link WorkerConfig}; every setter checks its value and names it when it is bad. */
    public static final class Builder {
        private Duration idleTimeout = Duration.ofMinutes(10);
        private Duration gracePeriod = Duration.ofSeconds(30);
        private Duration startupTimeout = Duration.ofSeconds(30);
        private Fn0<?, ?> init;
        private Fn0<Boolean, ?> retire;
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Path javaExecutable = Paths.get(System.getProperty("java.home"), "bin", "java");
        private final List<Path> extraClasspath = new ArrayList<>();
        private int prestart;
        private int maxFrameSize = 256 * 1024 * 1024;
        private final List<String> allowSerializable = new ArrayList<>();
        private Path flightRecordings;
        private boolean classDataSharing = true;
        private Duration spinWait; // null: adaptive
        private AgentInheritance inheritAgents = AgentInheritance.fromSystemProperty();

        private Builder() {}

        /**
         * Sets how long an idle worker stays in the cache before it is shut down (10 minutes by default).
         *
         * @param idleTimeout the idle timeout, zero or more
         * @return this builder
         * @throws IllegalArgumentException if {@code idleTimeout} is negative
         * @throws NullPointerException if {@code idleTimeout} is null
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = nonNegative("idleTimeout", idleTimeout);
            return this;
        }

        /**
         * Sets how long {@link WorkerContext#close()} lets running calls finish and workers exit before it SIGKILLs
         * them (30 seconds by default).
         *
         * @param gracePeriod the grace period, zero or more
         * @return this builder
         * @throws IllegalArgumentException if {@code gracePeriod} is negative
         * @throws NullPointerException if {@code gracePeriod} is null
         */
        public Builder gracePeriod(Duration gracePeriod) {
            this.gracePeriod = nonNegative("gracePeriod", gracePeriod);
            return this;
        }

        /**
         * Sets how long a new worker may take to start, handshake and run its init before it is killed (30 seconds by
         * default).
         *
         * @param startupTimeout the start-up timeout, more than zero
         * @return this builder
         * @throws IllegalArgumentException if {@code startupTimeout} is zero or negative
         * @throws NullPointerException if {@code startupTimeout} is null
         */
        public Builder startupTimeout(Duration startupTimeout) {
            Objects.requireNonNull(startupTimeout, "startupTimeout");
            if (startupTimeout.isNegative() || startupTimeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be > 0, was " + startupTimeout);
            }
            this.startupTimeout = startupTimeout;
            return this;
        }

        /**
         * A method reference run once in each new worker, before its first call (e.g. to load a model). If it
         * throws, the call that needed the worker fails with {@link BrokenWorkerException} naming the cause.
         * {@code null} for none. The method returns a value, which is ignored: a set-up method can return
         * {@code Void} ({@code return null;}). From Kotlin, pass a top-level function ({@code ::setUp}); a member of an
         * {@code object} reaches Java as a bound reference, which a worker cannot run.
         *
         * @param init the function each new worker runs once, or {@code null}
         * @return this builder
         * @throws IllegalArgumentException if {@code init} is not a method reference a worker can run (a lambda, a
         *     bound reference)
         */
        public Builder init(Fn0<?, ?> init) {
            this.init = checked("init", init);
            return this;
        }

        /** {@code fn} if a worker can run it (or null), else a refusal naming the setting. */
        private static <F> F checked(String setting, F fn) {
            if (fn != null) {
                try {
                    dev.offload.internal.Functions.of(fn);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("the " + setting + " function: " + e.getMessage(), e);
                }
            }
            return fn;
        }

        /**
         * A method reference run in the worker after each call, before the result is sent; when it returns
         * {@code true} the worker exits after delivering that result, so the next call gets a new worker. If it
         * throws, that call fails with {@link BrokenWorkerException} naming the cause. {@code null} for none.
         *
         * @param retire the function a worker runs after each call, or {@code null}
         * @return this builder
         * @throws IllegalArgumentException if {@code retire} is not a method reference a worker can run
         */
        public Builder retire(Fn0<Boolean, ?> retire) {
            this.retire = checked("retire", retire);
            return this;
        }

        /**
         * Appends JVM options such as {@code -Xmx512m}. The classpath is not an option: see {@link #extraClasspath}.
         *
         * @param options the options to append, each starting with {@code -}
         * @return this builder
         * @throws IllegalArgumentException if an option does not start with {@code -} or sets the classpath
         * @throws NullPointerException if an option is null
         */
        public Builder jvmOptions(String... options) {
            Objects.requireNonNull(options, "jvmOptions must not be null; pass no options for none");
            for (String o : options) {
                Objects.requireNonNull(o, "jvm option");
                if (o.equals("-cp") || o.equals("-classpath") || o.equals("--class-path") || o.startsWith("--class-path=")) {
                    throw new IllegalArgumentException("jvmOptions must not set the classpath, was " + o
                            + "; workers use the parent's classpath, extend it with extraClasspath(...)");
                }
                if (!o.startsWith("-")) {
                    throw new IllegalArgumentException("jvmOptions must be JVM options starting with '-', was \""
                            + o + "\"");
                }
                jvmOptions.add(o);
            }
            return this;
        }

        /**
         * Sets a system property in the worker JVMs, passed as {@code -Dkey=value}; setting a key again replaces its
         * value.
         *
         * @param key the property name, non-empty and without {@code =}
         * @param value the property value
         * @return this builder
         * @throws IllegalArgumentException if {@code key} is null, empty or contains {@code =}
         * @throws NullPointerException if {@code value} is null
         */
        public Builder systemProperty(String key, String value) {
            Objects.requireNonNull(value, "value");
            if (key == null || key.isEmpty() || key.contains("=")) {
                throw new IllegalArgumentException("system property key must be non-empty without '=', was " + key);
            }
            systemProperties.put(key, value);
            return this;
        }

        /**
         * Sets an environment variable for workers, or removes an inherited one when {@code value} is null.
         *
         * @param name the variable name, non-empty and without {@code =}
         * @param value the value to set, or {@code null} to remove the variable
         * @return this builder
         * @throws IllegalArgumentException if {@code name} is null, empty or contains {@code =}
         */
        public Builder environment(String name, String value) {
            if (name == null || name.isEmpty() || name.contains("=")) {
                throw new IllegalArgumentException("environment variable name must be non-empty without '=', was "
                        + name);
            }
            environment.put(name, value);
            return this;
        }

        /**
         * Sets the {@code java} launcher that starts workers (by default {@code bin/java} of this JVM's
         * {@code java.home}).
         *
         * @param javaExecutable the path of the launcher
         * @return this builder
         * @throws NullPointerException if {@code javaExecutable} is null
         */
        public Builder javaExecutable(Path javaExecutable) {
            this.javaExecutable = Objects.requireNonNull(javaExecutable, "javaExecutable");
            return this;
        }

        /**
         * Appends entries to the classpath of workers, after this JVM's module path and class path and what its
         * {@link java.net.URLClassLoader}s load from (see {@link WorkerContext}): for classes that this JVM loads
         * through class loaders of other kinds, or that the worker needs and this JVM does not.
         *
         * @param entries the jars or directories to append
         * @return this builder
         * @throws NullPointerException if an entry is null
         */
        public Builder extraClasspath(Path... entries) {
            for (Path p : entries) {
                extraClasspath.add(Objects.requireNonNull(p, "classpath entry"));
            }
            return this;
        }

        /**
         * Starts this many workers in the background when the context opens. A call that comes before they are up
         * takes the first of them that is, rather than starting one more worker.
         *
         * @param workers how many workers to start, zero or more
         * @return this builder
         * @throws IllegalArgumentException if {@code workers} is negative
         */
        public Builder prestart(int workers) {
            if (workers < 0) {
                throw new IllegalArgumentException("prestart must be >= 0, was " + workers);
            }
            this.prestart = workers;
            return this;
        }

        /**
         * Largest payload of one frame (the arguments of a call, or its result), between 1 KiB and 1 GiB.
         *
         * @param bytes the largest payload in bytes, from 1024 to 2<sup>30</sup>
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is outside that range
         */
        public Builder maxFrameSize(int bytes) {
            if (bytes < 1024 || bytes > (1 << 30)) {
                throw new IllegalArgumentException("maxFrameSize must be between 1024 and " + (1 << 30)
                        + " bytes, was " + bytes);
            }
            this.maxFrameSize = bytes;
            return this;
        }

        /**
         * Lets the default Java codec deserialize more classes than records, enums and JDK value types, e.g.
         * {@code "com.example.model.*"} or {@code "com.example.Point"} ({@link java.io.ObjectInputFilter} syntax;
         * never allow what you would not let an attacker instantiate).
         *
         * @param pattern the classes to allow, in {@link java.io.ObjectInputFilter} pattern syntax
         * @return this builder
         * @throws IllegalArgumentException if {@code pattern} is not a valid filter pattern
         * @throws NullPointerException if {@code pattern} is null
         */
        public Builder allowSerializable(String pattern) {
            Objects.requireNonNull(pattern, "pattern");
            try {
                java.io.ObjectInputFilter.Config.createFilter(pattern);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allowSerializable pattern \"" + pattern + "\" is not a filter "
                        + "pattern (" + e.getMessage() + "): give class names, package.* or package.**, separated by "
                        + "';', such as \"com.example.Money;com.example.model.*\"", e);
            }
            allowSerializable.add(pattern);
            return this;
        }

        /**
         * Lets workers record with Flight Recorder too: a worker started while this JVM has a recording running
         * records from its start and writes {@code offload-worker-<parent pid>-<n>.jfr} into {@code directory} when
         * it exits cleanly (a killed or crashed worker's recording is lost). Workers started while nothing records do
         * not record. Open the files beside the parent's recording, e.g. in JDK Mission Control.
         *
         * @return this builder
         * @param directory an existing directory, or {@code null} to turn it off
         * @throws IllegalArgumentException if {@code directory} is not a directory
         */
        public Builder flightRecordings(Path directory) {
            if (directory != null && !java.nio.file.Files.isDirectory(directory)) {
                throw new IllegalArgumentException("flightRecordings must be an existing directory, was " + directory);
            }
            this.flightRecordings = directory == null ? null : directory.toAbsolutePath();
            return this;
        }

        /**
         * Whether workers start from a class-data-sharing archive that Offload creates and caches (default on).
         * The first worker of a configuration writes it when it exits cleanly (so no call waits for it), in
         * {@code ~/.cache/offload/cds} ({@code $XDG_CACHE_HOME}, or {@code -Doffload.cache.dir} /
         * {@code $OFFLOAD_CACHE_DIR}); later workers start faster. Only when the classpath is all jars and workers
         * run this JVM's own {@code java}; an AppCDS archive on JDK 17-24, an AOT cache on JDK 25+. Also off for
         * every context with {@code -Doffload.cds=false}.
         *
         * @param enabled {@code false} to start workers without the archive
         * @return this builder
         */
        public Builder classDataSharing(boolean enabled) {
            this.classDataSharing = enabled;
            return this;
        }

        /**
         * Fixed spinning instead of the adaptive default ({@link WorkerConfig#adaptiveSpin()}): before blocking for
         * the next frame, the worker (waiting for a call) and this JVM (waiting for a result) always poll the pipe for
         * up to {@code spin}, so a quick reply is read by a thread that still has its CPU; a coroutine's call polls
         * for that long too. {@link Duration#ZERO} turns spinning off altogether, a coroutine's polling included. A
         * fixed spin makes throughput far worse when every core is busy (two spinning workers on two cores); measure
         * with the benchmark harness before choosing one.
         *
         * @param spin how long to poll before blocking, from zero (never) to 10 ms
         * @return this builder
         * @throws IllegalArgumentException if {@code spin} is negative or over 10 ms
         * @throws NullPointerException if {@code spin} is null
         */
        public Builder spinWait(Duration spin) {
            nonNegative("spinWait", spin);
            if (spin.compareTo(Duration.ofMillis(10)) > 0) {
                throw new IllegalArgumentException("spinWait must be at most 10 ms, was " + spin
                        + "; a longer spin only burns CPU");
            }
            this.spinWait = spin;
            return this;
        }

        /**
         * Which of this JVM's {@code -javaagent:} options workers start with: by default JaCoCo's (or what the
         * system property {@value AgentInheritance#PROPERTY} says), so that code run in workers counts in coverage
         * reports (see {@link AgentInheritance} for what workers must do for their coverage to be written).
         *
         * @param which the agents workers inherit
         * @return this builder
         * @throws NullPointerException if {@code which} is null
         */
        public Builder inheritAgents(AgentInheritance which) {
            this.inheritAgents = Objects.requireNonNull(which, "inheritAgents");
            return this;
        }

        /**
         * Builds the configuration from this builder's settings; the builder may be reused.
         *
         * @return a new immutable configuration
         */
        public WorkerConfig build() {
            return new WorkerConfig(this);
        }

        private static Duration nonNegative(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must be >= 0, was " + d);
            }
            return d;
        }
    }
}
