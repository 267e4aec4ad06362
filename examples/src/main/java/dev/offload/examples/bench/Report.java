package dev.offload.examples.bench;

import dev.offload.WorkerConfig;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders a run as Markdown: the header (machine, JDK, date, command, load), the targets with their verdicts, the
 * figures, and how each is measured.
 */
final class Report {
    private Report() {}

    static String targets(List<Target> targets, Map<String, Figure> figures) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"target", "median", "baseline median", "ratio", "bound", "verdict"});
        for (Target t : targets) {
            Figure f = figures.get(t.figure());
            String baseline = t.baseline() == null ? "" : cell(figures.get(t.baseline()));
            String value = number(t.value(figures)) + (t.kind() == Target.Kind.AT_MOST ? " " + f.unit() : "×");
            rows.add(new String[] {t.label(), cell(f), baseline, value, t.bound(figures), t.verdict(figures)});
        }
        return table(rows);
    }

    static String figures(List<Figure> figures) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"figure", "median", "p99", "p99.9", "unit", "samples"});
        for (Figure f : figures) {
            rows.add(new String[] {f.label(), number(f.median()), number(f.p99()),
                    Double.isNaN(f.p999()) ? "" : number(f.p999()), f.unit(), Integer.toString(f.samples())});
        }
        return table(rows);
    }

    private static String cell(Figure f) {
        return number(f.median()) + " " + f.unit();
    }

    static String number(double v) {
        double a = Math.abs(v);
        if (Double.isNaN(v)) {
            return "n/a";
        } else if (a >= 1000) {
            return String.format("%,.0f", v);
        } else if (a >= 100) {
            return String.format("%.0f", v);
        } else if (a >= 10) {
            return String.format("%.1f", v);
        } else {
            return String.format("%.2f", v);
        }
    }

    /** A Markdown table with padded columns, readable as plain text too. */
    static String table(List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder s = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            s.append('|');
            for (int i = 0; i < width.length; i++) {
                s.append(' ').append(pad(rows.get(r)[i], width[i])).append(" |");
            }
            s.append('\n');
            if (r == 0) {
                s.append('|');
                for (int w : width) {
                    s.append(' ').append("-".repeat(w)).append(" |");
                }
                s.append('\n');
            }
        }
        return s.toString();
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }

    /** The targets of issue 6, then ratios shown for context. */
    static List<Target> issueTargets() {
        List<Target> t = new ArrayList<>();
        t.add(new Target("warm round trip, Java blocking, 1 worker", "java.1", "echo.1", Target.Kind.RATIO_AT_MOST, 1.3));
        t.add(new Target("warm round trip, Kotlin suspend, 1 worker", "kotlin.1", "echo.1", Target.Kind.RATIO_AT_MOST,
                1.5));
        t.add(new Target("tiny-call throughput, Java, 2 workers", "java.2", "echo.2", Target.Kind.RATIO_AT_LEAST, 0.6));
        t.add(new Target("tiny-call throughput, Kotlin, 2 workers", "kotlin.2", "echo.2", Target.Kind.RATIO_AT_LEAST,
                0.6));
        t.add(new Target("cold start to first result, Java", "cold.java", "start.bare", Target.Kind.RATIO_AT_MOST, 1.5));
        t.add(new Target("cold start to first result, Kotlin + JSON", "cold.kotlin", "start.bare",
                Target.Kind.RATIO_AT_MOST, 2.5));
        t.add(new Target("64 MiB round trip, Java byte[]", "bw.java", "bw.raw", Target.Kind.RATIO_AT_LEAST, 0.7));
        t.add(new Target("64 MiB round trip, Kotlin ByteArray, Binary", "bw.kotlin", "bw.raw",
                Target.Kind.RATIO_AT_LEAST, 0.7));
        t.add(new Target("CPU-bound scaling on 2 workers", "scale.offload", "scale.bare", Target.Kind.RATIO_AT_LEAST,
                0.95));
        t.add(new Target("cancel-to-return, Java, killOnCancel", "cancel.java", null, Target.Kind.AT_MOST, 10));
        t.add(new Target("cancel-to-return, Kotlin, killOnCancel", "cancel.kotlin", null, Target.Kind.AT_MOST, 10));
        t.add(new Target("idle worker RSS (fresh)", "rss.fresh.java", null, Target.Kind.AT_MOST, 40));
        t.add(new Target("idle worker RSS (after warm calls)", "rss.used.java", null, Target.Kind.AT_MOST, 40));
        t.add(new Target("warm Java call vs one JVM per call", "java.1", "naive", Target.Kind.SPEEDUP_AT_LEAST, 500));
        t.add(new Target("context: Java warm call / in-process hand-off", "java.1", "handoff", Target.Kind.INFO, 0));
        t.add(new Target("context: Java warm call, spinning off / raw echo (1 worker)", "spin.1", "echo.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Java calls/s, spinning off / raw echo (2 workers)", "spin.2", "echo.2",
                Target.Kind.INFO, 0));
        t.add(new Target("context: raw echo, both sides polling / raw echo (1 worker)", "echo.poll.1", "echo.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Java warm call / raw echo, both sides polling", "java.1", "echo.poll.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin warm call / raw echo, both sides polling", "kotlin.1", "echo.poll.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: raw echo handed to a coroutine / raw echo (1 worker)", "echo.suspend.1", "echo.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin warm call / raw echo handed to a coroutine", "kotlin.1", "echo.suspend.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: raw echo handed to coroutines / raw echo (calls/s, 2 workers)", "echo.suspend.2",
                "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin calls/s / raw echo handed to coroutines (2 workers)", "kotlin.2",
                "echo.suspend.2", Target.Kind.INFO, 0));
        t.add(new Target("context: raw echo, one thread polling both children / raw echo (2 workers)",
                "echo.onethread.2", "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin calls/s / raw echo, one thread polling both children", "kotlin.2",
                "echo.onethread.2", Target.Kind.INFO, 0));
        t.add(new Target("context: raw echo, one thread polling both polling children / raw echo (2 workers)",
                "echo.onethread.poll.2", "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin warm call, spinning off / raw echo (1 worker)", "kotlin.off.1", "echo.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin warm call, sustained / the same, spinning off", "kotlin.sustained.1",
                "kotlin.sustained.off.1", Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin calls/s on Dispatchers.Default / raw echo (2 workers)", "kotlin.default.2",
                "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: 4 tasks on 1 worker / on 1 bare JVM", "cpu.offload.1", "cpu.bare.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: worker start (prestart) / bare JVM start", "prestart", "start.bare",
                Target.Kind.INFO, 0));
        t.add(new Target("context: a fresh JVM's first Offload call / bare JVM start", "cold.fresh", "start.bare",
                Target.Kind.INFO, 0));
        t.add(new Target("context: respawn after cancel / bare JVM start", "respawn.java", "start.bare",
                Target.Kind.INFO, 0));
        t.add(new Target("context: map items/s / raw echo calls/s (2 workers)", "map", "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: map items/s in batches of 100 / raw echo calls/s (2 workers)", "map.batch", "echo.2",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin map items/s / raw echo calls/s (2 workers)", "map.kotlin", "echo.2",
                Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin map items/s in batches of 100 / raw echo calls/s (2 workers)",
                "map.kotlin.batch", "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: map items/s in automatic batches / raw echo calls/s (2 workers)", "map.auto",
                "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: Kotlin map items/s in automatic batches / raw echo calls/s (2 workers)",
                "map.kotlin.auto", "echo.2", Target.Kind.INFO, 0));
        t.add(new Target("context: codec work of a Java Int call (JMH) / Java warm call", "micro.javaInt", "java.1",
                Target.Kind.INFO, 0));
        t.add(new Target("context: codec work of a Kotlin JSON Int call (JMH) / Kotlin warm call", "micro.kotlinJsonInt",
                "kotlin.1", Target.Kind.INFO, 0));
        return t;
    }

    /** The whole Markdown document. */
    static String render(Map<String, Figure> figures, Settings settings, WorkerConfig config, String command,
            Instant started, long seconds, String loadBefore, String loadAfter) {
        List<Target> targets = issueTargets();
        long missed = targets.stream().filter(t -> t.verdict(figures).equals("MISS")).count();
        long judged = targets.stream().filter(t -> !t.verdict(figures).equals("-")).count();
        StringBuilder s = new StringBuilder();
        s.append("# Benchmarks\n\n");
        if (settings.smoke()) {
            s.append("**Smoke run: a few iterations of everything, to check the harness. These figures mean nothing.**\n\n");
        }
        s.append("Offload measured next to plain-JDK baselines **in the same run** on this machine; each target is a\n")
                .append("ratio to its baseline (absolute times drift from run to run on shared machines). Generated by\n")
                .append("`dev.offload.examples.bench.Benchmarks`; do not edit by hand.\n\n");
        s.append("- Command: `").append(command).append("`\n");
        s.append("- Date: ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" (").append(seconds)
                .append(" s)\n");
        s.append("- Machine: ").append(Machine.cpu()).append(", ").append(Machine.memory()).append(" RAM, ")
                .append(Machine.kernel()).append('\n');
        s.append("- JDK: ").append(Machine.jdk()).append('\n');
        s.append("- Load average (1, 5, 15 min): ").append(loadBefore).append(" at start, ").append(loadAfter)
                .append(" at end\n");
        s.append("- Worker JVM options: ").append(config.jvmOptions().isEmpty() ? "Offload's defaults"
                : "Offload's defaults plus `" + String.join(" ", config.jvmOptions()) + "`");
        s.append("; classpath (the workers': the same): ").append(Machine.classpathShape());
        s.append("; bare children: `java -classpath <harness classes> ")
                .append(BareChild.class.getSimpleName()).append("`, no options\n\n");
        s.append("## Targets (issue 6): ").append(judged - missed).append(" of ").append(judged).append(" met\n\n");
        s.append(targets(targets, figures)).append('\n');
        s.append("## Figures\n\n");
        s.append("Latencies: HdrHistogram of single operations after a warm-up. Throughput, bandwidth, scaling and\n")
                .append("memory: repetitions (or workers), with p99 on the bad side (with under 100 samples, the worst).\n\n");
        s.append(figures(new ArrayList<>(figures.values()))).append('\n');
        s.append(METHOD);
        return s.toString();
    }

    private static final String METHOD = "## How each figure is measured\n\n"
            + "- **Raw pipe echo**: a bare child JVM (`BareChild echo`, JDK only) echoes 4-byte-length-prefixed 16-byte\n"
            + "  frames on stdin/stdout, one `write` per frame. 1 worker: round-trip latency; 2 workers: two threads, one\n"
            + "  child each, calls per second. Interleaved in blocks with the Offload figures it is compared with.\n"
            + "- **Offload warm calls**: `ctx.runSync(BenchFns::inc, x)` (Java, the built-in codec: an Integer in its compact tagged form) and\n"
            + "  `runSync(::kInc, x, context = ctx)` inside `runBlocking` (Kotlin, JSON), on a context whose workers are\n"
            + "  already started and warm; 2 workers: two caller threads / two coroutines. Default settings, so\n"
            + "  spinning is adaptive; the \"spinning off\" rows use `spinWait(Duration.ZERO)` for comparison.\n"
            + "  Warm-up: a fixed number of calls and throughput runs of each kind, then rounds of all of them (2,000\n"
            + "  calls each, 50 ms of each throughput run) until no JIT compiler, in the harness JVM (its\n"
            + "  `CompilationMXBean`) or in a worker or bare child (its compiler threads' CPU time in `/proc`), has\n"
            + "  worked for 3 rounds in a row (at most 30 s). On two processors the compilers otherwise take CPU from\n"
            + "  the measured calls for seconds; the `jit` rows say how long the warm-up took and how much compiling\n"
            + "  still happened during the measurements.\n"
            + "- **Raw echo, both sides polling**: a bare child in `echo-poll` mode; it and the parent poll\n"
            + "  (`available()`) for up to 30 µs before each blocking read, as Offload's adaptive spinning does, so a\n"
            + "  quick frame is read by a thread that kept its processor. Context only: the issue's baseline is the\n"
            + "  plain echo.\n"
            + "- **Raw echo handed to a coroutine**: the same bare child, called from a coroutine in `runBlocking`\n"
            + "  that suspends after writing its frame; a thread of its own reads each reply (blocking, no spinning)\n"
            + "  and resumes the coroutine. This is the least a suspending call on a pipe pays: the JDK has no\n"
            + "  asynchronous pipe I/O, so some thread must block in `read` and then wake the coroutine's thread.\n"
            + "  2 workers: two such coroutines on the one `runBlocking` thread, one child each.\n"
            + "- **Raw echo, one thread polling both children**: two bare children served by one thread that writes\n"
            + "  a frame to each, then polls both (`available()`) and answers whichever has replied: the limit of any\n"
            + "  design in which one thread (the Kotlin target's `runBlocking` thread) serves two calls at once. Once\n"
            + "  with plain `echo` children, which block between frames, and once with `echo-poll` children, which\n"
            + "  poll for 30 µs first, so the parent's writes need not wake them.\n"
            + "  The two Kotlin contexts have the same history. The sustained Kotlin rows are 4 times as many blocks more,\n"
            + "  after everything else, alternating between the two contexts.\n"
            + "  The Kotlin target row runs both coroutines on the one `runBlocking` thread; a context row runs them on\n"
            + "  `Dispatchers.Default` instead, as a server would.\n"
            + "- **Bandwidth**: one 64 MiB payload to the child and back (`BareChild echo`, `BenchFns.echo(byte[])`,\n"
            + "  `kEcho(ByteArray)` with `PayloadFormat.Binary`); MiB/s counts both directions.\n"
            + "- **Bare JVM start**: `ProcessBuilder.start()` of `BareChild` until its first frame is read.\n"
            + "  **Naive**: one such JVM per call (start, send the argument, read the result, wait for the exit).\n"
            + "  **Cold start**: `WorkerContext.open()` / `withWorkerContext { }` and the first call, until its result;\n"
            + "  split into `prestart(1)` (up to the worker's handshake) and the first call on that prestarted worker.\n"
            + "- **CPU scaling**: `BenchFns.spin`, calibrated to about 0.5 s; 4 tasks on one process in a row, vs 2\n"
            + "  tasks on each of two processes at once; scaling = time on 1 / time on 2. The same loop in bare children\n"
            + "  and in Offload workers, warmed up, measured alternately.\n"
            + "- **Cancel**: a call sleeping in a worker (`killOnCancel`, the default) is cancelled with\n"
            + "  `Future.cancel(true)` (Java) or `cancelAndJoin()` (Kotlin); timed until that returns. Then the next call,\n"
            + "  which starts a new worker.\n"
            + "- **Memory**: `Rss:` and `Pss:` of `/proc/<pid>/smaps_rollup` of each idle worker (the workers are this\n"
            + "  JVM's descendants running `WorkerMain`): six seconds after their last call (the JVM frees its compilers'\n"
            + "  arenas every 5 s), one second after the prestart for a fresh worker.\n"
            + "- **Map**: `ctx.mapAll(BenchFns::inc, 100,000 items, concurrency 2)` and Kotlin\n"
            + "  `items.mapInWorkers(::kInc, concurrency = 2)`, each one item per call, with `batchSize` 100 and with\n"
            + "  automatic batches, items per second, after a warm-up of each; the first four maps take turns, three\n"
            + "  times, then the two with automatic batches.\n"
            + "- **Microbenchmarks** (JMH 1.37, sample-time mode, one fork, 3 warm-up and 5 measured iterations of 1 s):\n"
            + "  the work of a call that needs no process, in memory. A codec row is one call's four steps: arguments\n"
            + "  written (parent) and read (worker), result written (worker) and read (parent). The frame row is\n"
            + "  `FrameWriter` then `FrameReader` on one 16-byte frame; a call sends two. Sources:\n"
            + "  `examples/src/main/java/dev/offload/examples/bench/micro/`.\n";
}
