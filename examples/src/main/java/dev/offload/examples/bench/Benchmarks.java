package dev.offload.examples.bench;

import dev.offload.MapOptions;
import dev.offload.WorkerConfig;
import dev.offload.WorkerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;

/**
 * The benchmark harness of issue 6: measures Offload next to plain-JDK baselines in the same run, prints the
 * figures and the targets (each a ratio to its baseline, with PASS or MISS), and writes them to a Markdown file.
 *
 * <p>Run it with {@code mvn -B -q -Pbench -DskipTests package} (which rewrites {@code BENCHMARKS.md}). Arguments:
 * {@code --out FILE} (where to write the Markdown; default: nowhere), {@code --command TEXT} (the command to
 * record in it), {@code --worker-options "OPTIONS"} (JVM options added to every Offload worker, to try flags),
 * {@code --smoke} (a few seconds of everything, to prove the harness works; the figures mean
 * nothing).
 *
 * <p>Figures that are compared are measured interleaved (a block of the baseline, a block of each Offload API,
 * again), so that a change in the machine's load hits both sides of a ratio alike.
 */
public final class Benchmarks {
    private static final double MIB = 1024.0 * 1024.0;

    private final Settings s;
    /** The configuration of every Offload context here: the defaults, plus {@code --worker-options} if given. */
    private final WorkerConfig config;
    private final Map<String, Figure> figures = new LinkedHashMap<>();
    private final JitWatch jit = new JitWatch();
    private final ExecutorService callers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "bench-caller");
        t.setDaemon(true);
        return t;
    });

    private Benchmarks(Settings settings, List<String> workerOptions) {
        this.s = settings;
        this.config = WorkerConfig.builder().jvmOptions(workerOptions.toArray(new String[0])).build();
    }

    /** The low-latency mode's spin, measured beside the default (it is off by default). */

    private WorkerContext open() {
        return WorkerContext.open(config);
    }

    public static void main(String[] args) throws Exception {
        Settings settings = Settings.fullRun();
        Path out = null;
        String command = "java -cp ... dev.offload.examples.bench.Benchmarks";
        List<String> workerOptions = List.of();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke":
                    settings = Settings.smokeRun();
                    break;
                case "--out":
                    out = Path.of(args[++i]);
                    break;
                case "--command":
                    command = args[++i];
                    break;
                case "--worker-options":
                    workerOptions = List.of(args[++i].trim().split("\\s+"));
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument: " + args[i]
                            + " (expected --smoke, --out FILE, --command TEXT, --worker-options \"OPTIONS\")");
            }
        }
        String loadBefore = Machine.loadAverage();
        Instant started = Instant.now();
        Benchmarks b = new Benchmarks(settings, workerOptions);
        try {
            b.handoff();
            b.warmCalls();
            b.bandwidth();
            b.starts();
            b.cpuScaling();
            b.cancellation();
            b.map();
            b.micro();
        } finally {
            b.callers.shutdownNow();
        }
        long seconds = Instant.now().getEpochSecond() - started.getEpochSecond();
        String text = Report.render(b.figures, settings, b.config, command, started, seconds, loadBefore,
                Machine.loadAverage());
        System.out.print(text);
        if (out != null) {
            Files.writeString(out, text);
            System.out.println("(written to " + out.toAbsolutePath().normalize() + ")");
        }
    }

    private static void progress(String what) {
        System.out.println("· " + what);
    }

    // ---------------------------------------------------------------- in-process hand-off (context only)

    private void handoff() throws Exception {
        progress("in-process hand-off");
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            Histogram h = new Histogram(3);
            for (int i = 0; i < s.handoffWarmup() + s.handoffCalls(); i++) {
                int x = i;
                long t = System.nanoTime();
                one.submit(() -> BenchFns.inc(x)).get();
                if (i >= s.handoffWarmup()) {
                    h.recordValue(System.nanoTime() - t);
                }
            }
            put(Figure.latency("handoff", "in-process hand-off (single-thread executor round trip)", h, "µs"));
        } finally {
            one.shutdownNow();
        }
    }

    // ---------------------------------------------------------------- warm round trips, throughput, idle memory

    private void warmCalls() throws Exception {
        progress("warm round trips and throughput: raw pipe echo, Java runSync, Kotlin runSync");
        Set<Long> before = Memory.workerPids();
        try (BareProcess echo1 = BareProcess.start("echo"); BareProcess echo2 = BareProcess.start("echo");
                BareProcess polling = BareProcess.start("echo-poll");
                BareProcess polling2 = BareProcess.start("echo-poll");
                WorkerContext java = open(); WorkerContext kotlin = open();
                WorkerContext spin = WorkerContext.open(config.toBuilder().spinWait(Duration.ZERO).build());
                WorkerContext kotlinOff = WorkerContext.open(config.toBuilder().spinWait(Duration.ZERO).build())) {
            byte[] frame = new byte[4 + 16];
            rawLatency(echo1, frame, s.echoWarmup(), null);
            pollingLatency(polling, frame, s.echoWarmup(), null);
            javaLatency(java, s.echoWarmup(), null);
            perSecond(() -> javaCalls(java, s.throughputNanos()));
            Set<Long> javaPids = minus(Memory.workerPids(), before);
            javaLatency(spin, s.echoWarmup(), null);
            perSecond(() -> javaCalls(spin, s.throughputNanos()));
            Set<Long> spinPids = minus(minus(Memory.workerPids(), before), javaPids);
            KotlinBench.latency(kotlin, s.echoWarmup(), null);
            perSecond(() -> KotlinBench.throughput(kotlin, 2, s.throughputNanos()));
            perSecond(() -> KotlinBench.throughputOnDefault(kotlin, 2, s.throughputNanos()));
            Set<Long> kotlinPids = minus(minus(minus(Memory.workerPids(), before), javaPids), spinPids);
            // The same history as the default Kotlin context (two workers, their reader threads have read), after
            // the pids: its workers are not measured for memory.
            KotlinBench.latency(kotlinOff, s.echoWarmup(), null);
            perSecond(() -> KotlinBench.throughput(kotlinOff, 2, s.throughputNanos()));
            perSecond(() -> KotlinBench.throughputOnDefault(kotlinOff, 2, s.throughputNanos()));
            perSecond(() -> rawCalls(echo1, echo2, s.throughputNanos()));
            KotlinBench.rawSuspend(List.of(echo1), s.echoWarmup(), 0, null);
            perSecond(() -> KotlinBench.rawSuspend(List.of(echo1, echo2), 0, System.nanoTime() + s.throughputNanos(),
                    null));
            // Then until the compilers are done with all of it (JitWatch): on two processors they would otherwise
            // take CPU from the measured calls for seconds more.
            int w = s.echoSettleCalls();
            long settleNanos = s.settleNanos();
            java.util.function.Supplier<java.util.Collection<Long>> children = () -> {
                Set<Long> pids = new java.util.HashSet<>(Memory.workerPids());
                pids.add(echo1.pid());
                pids.add(echo2.pid());
                pids.add(polling.pid());
                pids.add(polling2.pid());
                return pids;
            };
            long settleStart = System.nanoTime();
            int rounds = jit.settle(() -> {
                rawLatency(echo1, frame, w, null);
                pollingLatency(polling, frame, w, null);
                javaLatency(java, w, null);
                javaLatency(spin, w, null);
                KotlinBench.latency(kotlin, w, null);
                KotlinBench.latency(kotlinOff, w, null);
                rawCalls(echo1, echo2, settleNanos);
                javaCalls(java, settleNanos);
                javaCalls(spin, settleNanos);
                KotlinBench.throughput(kotlin, 2, settleNanos);
                KotlinBench.throughputOnDefault(kotlin, 2, settleNanos);
                KotlinBench.throughput(kotlinOff, 2, settleNanos);
                KotlinBench.throughputOnDefault(kotlinOff, 2, settleNanos);
                KotlinBench.rawSuspend(List.of(echo1), w, 0, null);
                KotlinBench.rawSuspend(List.of(echo1, echo2), 0, System.nanoTime() + settleNanos, null);
                oneThread(echo1, echo2, settleNanos);
                oneThread(polling, polling2, settleNanos);
            }, children, s.quietRounds(), s.maxSettleNanos());
            put(Figure.repeated("jit.settle", "warm-up rounds until no JIT compiler (parent, workers, bare children) "
                    + "had worked for " + s.quietRounds() + " rounds in a row", "rounds", new double[] {rounds}, false));
            put(Figure.repeated("jit.settle.time", "time those rounds took", "s",
                    new double[] {(System.nanoTime() - settleStart) / 1e9}, false));
            long jitParent = jit.parentMillis();
            long jitChildren = JitWatch.childMillis(children.get());

            Histogram raw = new Histogram(3);
            Histogram jv = new Histogram(3);
            Histogram kt = new Histogram(3);
            Histogram sp = new Histogram(3);
            Histogram ko = new Histogram(3);
            Histogram rs = new Histogram(3);
            Histogram rp = new Histogram(3);
            for (int b = 0; b < s.echoBlocks(); b++) {
                rawLatency(echo1, frame, s.echoBlockCalls(), raw);
                pollingLatency(polling, frame, s.echoBlockCalls(), rp);
                KotlinBench.rawSuspend(List.of(echo1), s.echoBlockCalls(), 0, rs);
                javaLatency(java, s.echoBlockCalls(), jv);
                javaLatency(spin, s.echoBlockCalls(), sp);
                boolean defaultFirst = b % 2 == 0; // neither Kotlin context always follows the same figure
                KotlinBench.latency(defaultFirst ? kotlin : kotlinOff, s.echoBlockCalls(), defaultFirst ? kt : ko);
                KotlinBench.latency(defaultFirst ? kotlinOff : kotlin, s.echoBlockCalls(), defaultFirst ? ko : kt);
            }
            put(Figure.latency("echo.1", "raw pipe echo, 16-byte frame, 1 worker", raw, "µs"));
            put(Figure.latency("echo.poll.1", "raw pipe echo, both sides polling 30 µs before a blocking read, 1 "
                    + "worker", rp, "µs"));
            put(Figure.latency("echo.suspend.1", "raw pipe echo, each reply handed by a reader thread to a suspended "
                    + "coroutine (runBlocking), 1 worker", rs, "µs"));
            put(Figure.latency("java.1", "Offload Java runSync(inc), 1 worker", jv, "µs"));
            put(Figure.latency("kotlin.1", "Offload Kotlin runSync(::inc) (JSON), 1 worker", kt, "µs"));
            put(Figure.latency("kotlin.off.1", "Offload Kotlin runSync(::inc) (JSON), spinning off, 1 worker", ko,
                    "µs"));
            put(Figure.latency("spin.1", "Offload Java runSync(inc), spinning off, 1 worker",
                    sp, "µs"));

            double[] rawRate = new double[s.throughputReps()];
            double[] javaRate = new double[s.throughputReps()];
            double[] kotlinRate = new double[s.throughputReps()];
            double[] spinRate = new double[s.throughputReps()];
            double[] kotlinDefaultRate = new double[s.throughputReps()];
            double[] rawSuspendRate = new double[s.throughputReps()];
            double[] oneThreadRate = new double[s.throughputReps()];
            double[] oneThreadPollRate = new double[s.throughputReps()];
            for (int r = 0; r < s.throughputReps(); r++) {
                rawRate[r] = perSecond(() -> rawCalls(echo1, echo2, s.throughputNanos()));
                rawSuspendRate[r] = perSecond(() -> KotlinBench.rawSuspend(List.of(echo1, echo2), 0,
                        System.nanoTime() + s.throughputNanos(), null));
                javaRate[r] = perSecond(() -> javaCalls(java, s.throughputNanos()));
                kotlinRate[r] = perSecond(() -> KotlinBench.throughput(kotlin, 2, s.throughputNanos()));
                spinRate[r] = perSecond(() -> javaCalls(spin, s.throughputNanos()));
                kotlinDefaultRate[r] = perSecond(() -> KotlinBench.throughputOnDefault(kotlin, 2,
                        s.throughputNanos()));
                oneThreadRate[r] = perSecond(() -> oneThread(echo1, echo2, s.throughputNanos()));
                oneThreadPollRate[r] = perSecond(() -> oneThread(polling, polling2, s.throughputNanos()));
            }
            put(Figure.repeated("jit.measured.parent", "JIT compilation in the harness JVM during the warm-call and "
                    + "throughput measurements", "ms", new double[] {jit.parentMillis() - jitParent}, false));
            put(Figure.repeated("jit.measured.children", "CPU of the JIT compiler threads of workers and bare children "
                    + "during those measurements", "ms", new double[] {JitWatch.childMillis(children.get()) - jitChildren},
                    false));
            put(Figure.repeated("echo.2", "raw pipe echo, 2 workers concurrently", "calls/s", rawRate, true));
            put(Figure.repeated("echo.suspend.2", "raw pipe echo handed to coroutines, 2 workers, 2 coroutines on "
                    + "one runBlocking thread", "calls/s", rawSuspendRate, true));
            put(Figure.repeated("echo.onethread.2", "raw pipe echo, 2 children served by one thread polling "
                    + "both (no coroutines)", "calls/s", oneThreadRate, true));
            put(Figure.repeated("echo.onethread.poll.2", "raw pipe echo, 2 polling children served by one thread "
                    + "polling both", "calls/s", oneThreadPollRate, true));
            put(Figure.repeated("java.2", "Offload Java runSync, 2 workers concurrently", "calls/s", javaRate, true));
            put(Figure.repeated("kotlin.2", "Offload Kotlin runSync, 2 workers concurrently", "calls/s", kotlinRate,
                    true));
            put(Figure.repeated("spin.2", "Offload Java runSync, spinning off, 2 workers concurrently", "calls/s",
                    spinRate, true));
            put(Figure.repeated("kotlin.default.2", "Offload Kotlin runSync, 2 coroutines on Dispatchers.Default",
                    "calls/s", kotlinDefaultRate, true));

            // Sustained: many more blocks of one coroutine's calls, alternating between the two Kotlin contexts. On this
            // VM the scheduler takes tens of thousands of calls to settle where it puts the three threads of a call
            // (caller, reader thread, worker), and a long run can differ from the short blocks above.
            Histogram kts = new Histogram(3);
            Histogram kos = new Histogram(3);
            for (int b = 0; b < 4 * s.echoBlocks(); b++) {
                boolean defaultFirst = b % 2 == 0;
                KotlinBench.latency(defaultFirst ? kotlin : kotlinOff, s.echoBlockCalls(), defaultFirst ? kts : kos);
                KotlinBench.latency(defaultFirst ? kotlinOff : kotlin, s.echoBlockCalls(), defaultFirst ? kos : kts);
            }
            String sustained = (4 * s.echoBlocks()) + " blocks of " + s.echoBlockCalls() + " calls after the rest";
            put(Figure.latency("kotlin.sustained.1", "Offload Kotlin runSync(::inc) (JSON), 1 worker, " + sustained,
                    kts, "µs"));
            put(Figure.latency("kotlin.sustained.off.1", "Offload Kotlin runSync(::inc) (JSON), spinning off, 1 worker, "
                    + sustained, kos, "µs"));

            progress("idle worker memory");
            // Idle means settled: HotSpot frees its compilers' arena chunks every 5 s, and the worker's native-heap
            // trim returns them to the system within a second. A probe on 2026-11-22 (a worker after 40,000 calls):
            // 47.3 MiB resident 1-4 s after the last call, 42.7 from 6 s to 12 s. (The harness's own workers read
            // about the same at 1 s and at 6 s: 42.7-43.1 and 42.8 MiB.)
            Thread.sleep(s.smoke() ? 100 : 6000);
            memory("used.java", "Java worker, idle after warm calls", javaPids);
            memory("used.kotlin", "Kotlin (JSON) worker, idle after warm calls", kotlinPids);
            memory("bare", "bare echo child JVM, idle", Set.of(echo1.pid(), echo2.pid()));
        }
        Set<Long> beforeFresh = Memory.workerPids();
        try (WorkerContext fresh = open()) {
            fresh.prestart(2);
            Thread.sleep(s.smoke() ? 100 : 1000);
            memory("fresh.java", "worker, idle after prestart (no call yet)", minus(Memory.workerPids(), beforeFresh));
        }
    }

    private static void rawLatency(BareProcess p, byte[] frame, int calls, Histogram h) throws Exception {
        rawLatency(p, frame, calls, h, false);
    }

    /** A polling child's round trips: both sides poll before blocking ({@link BareProcess#pollingRoundTrip}). */
    private static void pollingLatency(BareProcess p, byte[] frame, int calls, Histogram h) throws Exception {
        rawLatency(p, frame, calls, h, true);
    }

    private static void rawLatency(BareProcess p, byte[] frame, int calls, Histogram h, boolean poll)
            throws Exception {
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            if (poll) {
                p.pollingRoundTrip(frame, 16);
            } else {
                p.roundTrip(frame, 16);
            }
            if (h != null) {
                h.recordValue(System.nanoTime() - t);
            }
        }
    }

    private static void javaLatency(WorkerContext ctx, int calls, Histogram h) {
        int x = 0;
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            x = ctx.runSync(BenchFns::inc, x);
            if (h != null) {
                h.recordValue(System.nanoTime() - t);
            }
        }
    }

    /** Round trips on two bare children from two threads until the deadline; the number done. */
    private long rawCalls(BareProcess a, BareProcess b, long nanos) throws Exception {
        long deadline = System.nanoTime() + nanos;
        byte[] frameA = new byte[4 + 16];
        byte[] frameB = new byte[4 + 16];
        return both(loop(deadline, () -> a.roundTrip(frameA, 16)), loop(deadline, () -> b.roundTrip(frameB, 16)));
    }

    /**
     * Round trips on two bare children from this one thread until the deadline: a frame to each, then a loop that
     * polls both and sends the next frame to whichever has replied. The limit of any design in which one thread
     * (a {@code runBlocking} coroutine's) serves two calls at once; the number done.
     */
    private static long oneThread(BareProcess a, BareProcess b, long nanos) throws Exception {
        long deadline = System.nanoTime() + nanos;
        byte[] frameA = new byte[4 + 16];
        byte[] frameB = new byte[4 + 16];
        a.writeFrame(frameA, 16);
        b.writeFrame(frameB, 16);
        long n = 0;
        while (System.nanoTime() < deadline) {
            if (a.echoWaiting()) {
                a.readFrame();
                a.writeFrame(frameA, 16);
                n++;
            }
            if (b.echoWaiting()) {
                b.readFrame();
                b.writeFrame(frameB, 16);
                n++;
            }
        }
        a.readFrame(); // the two frames still out
        b.readFrame();
        return n;
    }

    /** Java runSync calls from two threads until the deadline (two workers busy); the number done. */
    private long javaCalls(WorkerContext ctx, long nanos) throws Exception {
        long deadline = System.nanoTime() + nanos;
        Callable<Long> caller = loop(deadline, () -> ctx.runSync(BenchFns::inc, 1));
        return both(caller, caller);
    }

    private static Callable<Long> loop(long deadline, Callable<?> call) {
        return () -> {
            long n = 0;
            while (System.nanoTime() < deadline) {
                call.call();
                n++;
            }
            return n;
        };
    }

    private long both(Callable<Long> a, Callable<Long> b) throws Exception {
        Future<Long> fa = callers.submit(a);
        Future<Long> fb = callers.submit(b);
        return fa.get() + fb.get();
    }

    private static double perSecond(Callable<Long> run) throws Exception {
        long t = System.nanoTime();
        long n = run.call();
        return n / ((System.nanoTime() - t) / 1e9);
    }

    private void memory(String key, String what, Set<Long> pids) {
        double[] rss = pids.stream().mapToDouble(Memory::rssMiB).toArray();
        double[] pss = pids.stream().mapToDouble(Memory::pssMiB).toArray();
        if (rss.length == 0) {
            rss = new double[] {Double.NaN};
            pss = new double[] {Double.NaN};
        }
        put(Figure.repeated("rss." + key, "RSS, " + what, "MiB", rss, false));
        put(Figure.repeated("pss." + key, "PSS, " + what, "MiB", pss, false));
    }

    private static Set<Long> minus(Set<Long> a, Set<Long> b) {
        return a.stream().filter(x -> !b.contains(x)).collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------- one big payload there and back

    private void bandwidth() throws Exception {
        int size = s.bigBytes();
        String mib = (size >> 20) + " MiB";
        progress("bandwidth: one " + mib + " payload there and back");
        byte[] bytes = new byte[size];
        new Random(6).nextBytes(bytes);
        byte[] frame = new byte[4 + size];
        System.arraycopy(bytes, 0, frame, 4, size);
        int n = s.bigWarmup() + s.bigReps();
        double[] raw = new double[s.bigReps()];
        double[] jv = new double[s.bigReps()];
        double[] kt = new double[s.bigReps()];
        double moved = 2 * size / MIB;
        try (BareProcess echo = BareProcess.start("echo"); WorkerContext java = open();
                WorkerContext kotlin = open()) {
            for (int i = 0; i < n; i++) {
                int at = i - s.bigWarmup();
                long t = System.nanoTime();
                expect(echo.roundTrip(frame, size) == size, "raw echo returned a short frame");
                record(raw, at, moved / ((System.nanoTime() - t) / 1e9));
                t = System.nanoTime();
                expect(java.runSync(BenchFns::echo, bytes).length == size, "Java echo returned a short array");
                record(jv, at, moved / ((System.nanoTime() - t) / 1e9));
                t = System.nanoTime();
                expect(KotlinBench.echoBinary(kotlin, bytes) == size, "Kotlin echo returned a short array");
                record(kt, at, moved / ((System.nanoTime() - t) / 1e9));
            }
        }
        put(Figure.repeated("bw.raw", "raw pipe, one " + mib + " frame there and back", "MiB/s", raw, true));
        put(Figure.repeated("bw.java", "Offload Java runSync(echo, byte[" + mib + "])", "MiB/s", jv, true));
        put(Figure.repeated("bw.kotlin", "Offload Kotlin runSync(::kEcho, ByteArray(" + mib + "), Binary)", "MiB/s",
                kt, true));
    }

    private static void record(double[] values, int at, double value) {
        if (at >= 0) {
            values[at] = value;
        }
    }

    private static void expect(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    // ---------------------------------------------------------------- JVM starts

    private void starts() throws Exception {
        progress("starts: bare JVM, one JVM per call, Offload cold start (Java, Kotlin)");
        Histogram bare = new Histogram(3);
        Histogram naive = new Histogram(3);
        Histogram java = new Histogram(3);
        Histogram kotlin = new Histogram(3);
        Histogram prestart = new Histogram(3);
        Histogram firstJava = new Histogram(3);
        Histogram firstKotlin = new Histogram(3);
        Histogram fresh = new Histogram(3);
        for (int i = 0; i < s.startWarmup() + s.startReps(); i++) {
            boolean measured = i >= s.startWarmup();
            long t = System.nanoTime();
            BareProcess p = BareProcess.start("echo");
            long elapsed = System.nanoTime() - t;
            p.close();
            recordIf(measured, bare, elapsed);

            t = System.nanoTime();
            expect(BareProcess.naiveCall(41) == 42, "the naive call returned a wrong result");
            recordIf(measured, naive, System.nanoTime() - t);

            t = System.nanoTime();
            try (WorkerContext ctx = open()) {
                expect(ctx.runSync(BenchFns::inc, 1) == 2, "a cold call returned a wrong result");
                elapsed = System.nanoTime() - t;
            }
            recordIf(measured, java, elapsed);

            recordIf(measured, kotlin, KotlinBench.coldStart(config));

            recordIf(measured, fresh, freshJvmFirstCall());

            // The cold start in two parts: a worker up to its handshake, then the first call on it.
            try (WorkerContext ctx = open()) {
                t = System.nanoTime();
                ctx.prestart(1);
                recordIf(measured, prestart, System.nanoTime() - t);
                t = System.nanoTime();
                ctx.runSync(BenchFns::inc, 1);
                recordIf(measured, firstJava, System.nanoTime() - t);
            }
            try (WorkerContext ctx = open()) {
                ctx.prestart(1);
                t = System.nanoTime();
                KotlinBench.latency(ctx, 1, null);
                recordIf(measured, firstKotlin, System.nanoTime() - t);
            }
        }
        put(Figure.latency("start.bare", "bare JVM start (ProcessBuilder.start() to first frame)", bare, "ms"));
        put(Figure.latency("naive", "naive: one ProcessBuilder JVM per call, until it exited", naive, "ms"));
        put(Figure.latency("cold.java", "Offload cold start to first result, Java function", java, "ms"));
        put(Figure.latency("cold.kotlin", "Offload cold start to first result, Kotlin function (JSON)", kotlin,
                "ms"));
        put(Figure.latency("cold.fresh", "a fresh JVM's first Offload call (java FreshStart until it prints the result)",
                fresh, "ms"));
        put(Figure.latency("prestart", "Offload worker start: prestart(1) until the worker's handshake", prestart,
                "ms"));
        put(Figure.latency("first.java", "first Java call on a prestarted worker", firstJava, "ms"));
        put(Figure.latency("first.kotlin", "first Kotlin (JSON) call on a prestarted worker", firstKotlin, "ms"));
    }

    /**
     * Starts {@link FreshStart} in a new JVM (this JVM's {@code java} and class path, no options) and returns the
     * nanoseconds until it printed its result; its exit is waited for but not timed.
     */
    private static long freshJvmFirstCall() throws Exception {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-classpath", System.getProperty("java.class.path"), FreshStart.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        p.getOutputStream().close();
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            String line = out.readLine();
            long elapsed = System.nanoTime() - t;
            expect("2".equals(line), "the fresh JVM printed " + line + " instead of 2");
            expect(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "the fresh JVM did not exit cleanly");
            return elapsed;
        } finally {
            p.destroyForcibly();
        }
    }

    private static void recordIf(boolean measured, Histogram h, long nanos) {
        if (measured) {
            h.recordValue(nanos);
        }
    }

    // ---------------------------------------------------------------- CPU-bound scaling

    private void cpuScaling() throws Exception {
        progress("CPU scaling: 4 tasks on 1 vs 2 bare child JVMs, and on 1 vs 2 Offload workers");
        try (BareProcess c1 = BareProcess.start("spin"); BareProcess c2 = BareProcess.start("spin");
                WorkerContext ctx = open()) {
            long probe = s.smoke() ? 1_000_000L : 50_000_000L;
            for (int i = 0; i < 3; i++) {
                c1.spin(probe / 5);
            }
            long t = System.nanoTime();
            c1.spin(probe);
            long iterations = Math.max(1, (long) (probe * s.cpuTaskSeconds() / ((System.nanoTime() - t) / 1e9)));
            c2.spin(iterations / 5);
            timeBoth(() -> ctx.runSync(BenchFns::spin, iterations / 5), () -> ctx.runSync(BenchFns::spin, iterations / 5));

            double[] bare1 = new double[s.cpuReps()];
            double[] bare2 = new double[s.cpuReps()];
            double[] off1 = new double[s.cpuReps()];
            double[] off2 = new double[s.cpuReps()];
            double[] bareScale = new double[s.cpuReps()];
            double[] offScale = new double[s.cpuReps()];
            for (int r = 0; r < s.cpuReps(); r++) {
                bare1[r] = seconds(() -> {
                    for (int i = 0; i < 4; i++) {
                        c1.spin(iterations);
                    }
                });
                bare2[r] = timeBoth(() -> c1.spin(iterations) + c1.spin(iterations),
                        () -> c2.spin(iterations) + c2.spin(iterations));
                off1[r] = seconds(() -> {
                    for (int i = 0; i < 4; i++) {
                        ctx.runSync(BenchFns::spin, iterations);
                    }
                });
                Callable<Long> two = () -> ctx.runSync(BenchFns::spin, iterations) + ctx.runSync(BenchFns::spin, iterations);
                off2[r] = timeBoth(two, two);
                bareScale[r] = bare1[r] / bare2[r];
                offScale[r] = off1[r] / off2[r];
            }
            put(Figure.repeated("cpu.bare.1", "4 CPU-bound tasks, 1 bare child JVM", "s", bare1, false));
            put(Figure.repeated("cpu.bare.2", "4 CPU-bound tasks, 2 bare child JVMs", "s", bare2, false));
            put(Figure.repeated("cpu.offload.1", "4 CPU-bound tasks, 1 Offload worker", "s", off1, false));
            put(Figure.repeated("cpu.offload.2", "4 CPU-bound tasks, 2 Offload workers", "s", off2, false));
            put(Figure.repeated("scale.bare", "CPU scaling, 2 vs 1 bare child JVMs", "×", bareScale, true));
            put(Figure.repeated("scale.offload", "CPU scaling, 2 vs 1 Offload workers", "×", offScale, true));
        }
    }

    interface Body {
        void run() throws Exception;
    }

    private static double seconds(Body body) throws Exception {
        long t = System.nanoTime();
        body.run();
        return (System.nanoTime() - t) / 1e9;
    }

    private double timeBoth(Callable<?> a, Callable<?> b) throws Exception {
        return seconds(() -> {
            Future<?> fa = callers.submit(a);
            Future<?> fb = callers.submit(b);
            fa.get();
            fb.get();
        });
    }

    // ---------------------------------------------------------------- cancellation

    private void cancellation() throws Exception {
        progress("cancel-to-return with killOnCancel, and the next call's respawn");
        Histogram cancel = new Histogram(3);
        Histogram gone = new Histogram(3);
        Histogram respawn = new Histogram(3);
        try (WorkerContext ctx = open()) {
            long pid = ctx.runSync(BenchFns::pid);
            for (int i = 0; i < s.cancelWarmup() + s.cancelReps(); i++) {
                boolean measured = i >= s.cancelWarmup();
                CompletableFuture<Long> f = ctx.submit(BenchFns::sleepMillis, 60_000L);
                awaitRunning(ctx);
                long t = System.nanoTime();
                f.cancel(true);
                recordIf(measured, cancel, System.nanoTime() - t);
                awaitGone(pid);
                recordIf(measured, gone, System.nanoTime() - t);
                t = System.nanoTime();
                long next = ctx.runSync(BenchFns::pid);
                recordIf(measured, respawn, System.nanoTime() - t);
                expect(next != pid, "the call after a cancel ran in the killed worker " + pid);
                pid = next;
            }
        }
        put(Figure.latency("cancel.java", "Java Future.cancel(true) of a running call, until it returns", cancel,
                "ms"));
        put(Figure.latency("gone.java", "Java cancel(true) until the killed worker is reaped", gone, "ms"));
        put(Figure.latency("respawn.java", "Java: the next call after a cancel (new worker)", respawn, "ms"));

        Histogram kCancel = new Histogram(3);
        Histogram kRespawn = new Histogram(3);
        try (WorkerContext ctx = open()) {
            KotlinBench.latency(ctx, 1, null);
            for (int i = 0; i < s.cancelWarmup() + s.cancelReps(); i++) {
                boolean measured = i >= s.cancelWarmup();
                KotlinBench.cancelAndRespawn(ctx, measured ? kCancel : null, measured ? kRespawn : null);
            }
        }
        put(Figure.latency("cancel.kotlin", "Kotlin cancelAndJoin() of a running runSync", kCancel, "ms"));
        put(Figure.latency("respawn.kotlin", "Kotlin: the next call after a cancel (new worker)", kRespawn, "ms"));
    }

    /** Polls until the process is gone (exited and reaped: a zombie still shows in /proc). */
    private static void awaitGone(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        while (Files.exists(proc)) {
            LockSupport.parkNanos(50_000);
        }
    }

    private static void awaitRunning(WorkerContext ctx) throws InterruptedException {
        while (ctx.statistics().runningWorkers() < 1 || ctx.statistics().idleWorkers() > 0) {
            Thread.sleep(1);
        }
        Thread.sleep(30); // let the call frame reach the worker
    }

    // ---------------------------------------------------------------- map layer

    private void map() throws Exception {
        int n = s.mapItems();
        progress("map layer: " + n + " tiny items on 2 workers, one by one, in batches of " + MAP_BATCH
                + " and in automatic batches");
        List<Integer> items = IntStream.range(0, n).boxed().collect(Collectors.toList());
        MapOptions single = MapOptions.builder().concurrency(2).build();
        MapOptions batched = MapOptions.builder().concurrency(2).batchSize(MAP_BATCH).build();
        MapOptions auto = MapOptions.builder().concurrency(2).autoBatchSize().build();
        double[] rate = new double[s.mapReps()];
        double[] batchRate = new double[s.mapReps()];
        double[] kotlinRate = new double[s.mapReps()];
        double[] kotlinBatchRate = new double[s.mapReps()];
        double[] autoRate = new double[s.mapReps()];
        double[] kotlinAutoRate = new double[s.mapReps()];
        try (WorkerContext ctx = open()) {
            ctx.prestart(2);
            ctx.mapAll(BenchFns::inc, items.subList(0, n / 5), single);
            ctx.mapAll(BenchFns::inc, items.subList(0, n / 5), batched);
            KotlinBench.mapItems(ctx, items.subList(0, n / 5), 1);
            KotlinBench.mapItems(ctx, items.subList(0, n / 5), MAP_BATCH);
            for (int r = 0; r < s.mapReps(); r++) { // interleaved, so that drift hits every variant alike
                rate[r] = itemsPerSecond(n, () -> ctx.mapAll(BenchFns::inc, items, single));
                batchRate[r] = itemsPerSecond(n, () -> ctx.mapAll(BenchFns::inc, items, batched));
                kotlinRate[r] = itemsPerSecond(n, () -> KotlinBench.mapItems(ctx, items, 1));
                kotlinBatchRate[r] = itemsPerSecond(n, () -> KotlinBench.mapItems(ctx, items, MAP_BATCH));
            }
            // After the others, not among them: interleaved, they slowed the one-item maps after them by half for a
            // few rounds (the JIT, it seems: the effect passed after 3-4 rounds of 100,000 items in a probe).
            ctx.mapAll(BenchFns::inc, items.subList(0, n / 5), auto);
            KotlinBench.mapItems(ctx, items.subList(0, n / 5), MapOptions.AUTO_BATCH_SIZE);
            for (int r = 0; r < s.mapReps(); r++) {
                autoRate[r] = itemsPerSecond(n, () -> ctx.mapAll(BenchFns::inc, items, auto));
                kotlinAutoRate[r] = itemsPerSecond(n, () -> KotlinBench.mapItems(ctx, items,
                        MapOptions.AUTO_BATCH_SIZE));
            }
        }
        String over = " over " + n + " items, concurrency 2";
        put(Figure.repeated("map", "Java mapAll(inc)" + over + ", one item per call", "items/s", rate, true));
        put(Figure.repeated("map.batch", "Java mapAll(inc)" + over + ", batchSize " + MAP_BATCH, "items/s", batchRate,
                true));
        put(Figure.repeated("map.kotlin", "Kotlin mapInWorkers(::kInc) (JSON)" + over + ", one item per call", "items/s",
                kotlinRate, true));
        put(Figure.repeated("map.kotlin.batch", "Kotlin mapInWorkers(::kInc) (JSON)" + over + ", batchSize "
                + MAP_BATCH, "items/s", kotlinBatchRate, true));
        put(Figure.repeated("map.auto", "Java mapAll(inc)" + over + ", autoBatchSize()", "items/s", autoRate, true));
        put(Figure.repeated("map.kotlin.auto", "Kotlin mapInWorkers(::kInc) (JSON)" + over + ", AUTO_BATCH_SIZE",
                "items/s", kotlinAutoRate, true));
    }

    /** Items per request in the batched map figures. */
    private static final int MAP_BATCH = 100;

    private static double itemsPerSecond(int n, Callable<List<Integer>> map) throws Exception {
        long t = System.nanoTime();
        List<Integer> out = map.call();
        double rate = n / ((System.nanoTime() - t) / 1e9);
        expect(out.size() == n && out.get(n - 1) == n, "the map returned wrong results");
        return rate;
    }

    // ---------------------------------------------------------------- the report

    // ---------------------------------------------------------------- microbenchmarks (JMH): codecs and framing

    /**
     * The per-call work that needs no process, measured with JMH in a forked JVM: each codec's four steps of one
     * call (see {@link dev.offload.examples.bench.micro.CodecBench}) and one frame written and read
     * ({@link dev.offload.examples.bench.micro.FrameBench}). Sample-time mode: a distribution of single operations.
     * Run last, with no worker alive.
     */
    private void micro() throws Exception {
        progress("microbenchmarks (JMH): codecs and framing");
        org.openjdk.jmh.runner.options.ChainedOptionsBuilder options = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include("dev\\.offload\\.examples\\.bench\\.micro\\..*")
                .verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT)
                .shouldFailOnError(true);
        if (s.smoke()) {
            options.forks(0).warmupIterations(0).measurementIterations(1)
                    .measurementTime(org.openjdk.jmh.runner.options.TimeValue.milliseconds(50));
        } else {
            options.forks(1).warmupIterations(3).warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(1));
        }
        Map<String, String> labels = Map.of(
                "javaInt", "codec work of a Java Int -> Int call (Java codec; JMH, in memory)",
                "kotlinJsonInt", "codec work of a Kotlin Int -> Int call (JSON; JMH, in memory)",
                "javaRecord", "codec work of a Java record call, (Double, Double, String) (compact record form; JMH)",
                "kotlinJsonDataClass", "codec work of a Kotlin data class call, (Double, Double, String) (JSON; JMH)",
                "kotlinBinaryDataClass", "codec work of a Kotlin data class call, (Double, Double, String) (CBOR; JMH)",
                "writeAndRead16", "one frame written and read, 16-byte payload (header, CRC32C; JMH, in memory)");
        for (org.openjdk.jmh.results.RunResult r : new org.openjdk.jmh.runner.Runner(options.build()).run()) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            org.openjdk.jmh.util.Statistics st = r.getPrimaryResult().getStatistics();
            String label = labels.get(method);
            expect(label != null, "unknown microbenchmark " + method);
            put(new Figure("micro." + method, label, "ns", st.getPercentile(50), st.getPercentile(99),
                    st.getPercentile(99.9), (int) Math.min(Integer.MAX_VALUE, st.getN()), false));
        }
        for (String method : labels.keySet()) {
            expect(figures.containsKey("micro." + method), "microbenchmark " + method + " gave no result");
        }
    }

    private void put(Figure f) {
        figures.put(f.key(), f);
    }

}
