package dev.offload.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offload.Offload;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every example runs, says what it should, and leaves no worker behind. */
class ExamplesTest {

    interface Main {
        void run(String[] args) throws Exception;
    }

    private static String run(Main main) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(captured, true));
            main.run(new String[0]);
        } finally {
            System.setOut(out);
        }
        String text = captured.toString();
        out.print(text);
        return text;
    }

    @AfterEach
    void noWorkerLeft() throws InterruptedException {
        Offload.defaultContext().close();
        long deadline = System.nanoTime() + 2_000_000_000L;
        List<ProcessHandle> left;
        do {
            left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().commandLine().orElse("").contains("dev.offload.internal.child.WorkerMain"))
                    .collect(Collectors.toList());
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        left.forEach(ProcessHandle::destroyForcibly);
        fail("workers outlived the example: " + left.stream().map(ProcessHandle::pid).collect(Collectors.toList()));
    }

    @Test
    void minimal() throws Exception {
        String out = run(Minimal::main);
        assertTrue(out.contains("fib(30) = 832040 computed in another JVM; hello, Offload"), out);
        assertTrue(out.contains("(printed inside worker pid"), out);
    }

    @Test
    void parallelSpeedup() throws Exception {
        String out = run(ParallelSpeedup::main);
        assertTrue(out.contains("parallel, in"), out);
    }

    @Test
    void cancelInfiniteLoop() throws Exception {
        String out = run(CancelInfiniteLoop::main);
        assertTrue(out.contains("was killed: alive=no"), out);
        assertTrue(out.contains("fib(25) = 75025"), out);
    }

    @Test
    void crashIsolation() throws Exception {
        String out = run(CrashIsolation::main);
        assertTrue(out.contains("exited with code 42; this JVM is fine"), out);
        assertTrue(out.contains("fib(25) = 75025"), out);
    }

    @Test
    void warmUp() throws Exception {
        String out = run(WarmUp::main);
        assertTrue(out.contains("after prestart(2), 2 idle workers"), out);
    }

    @Test
    void singleUseWorkers() throws Exception {
        String out = run(SingleUseWorkers::main);
        long distinct = out.lines().filter(l -> l.contains("ran in worker pid"))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).distinct().count();
        assertTrue(distinct == 3, out);
    }

    @Test
    void kotlinMinimal() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.MinimalKt.main());
        assertTrue(out.contains("fib(30) = 832040 from worker pid"), out);
        assertTrue(out.contains("summary: Stats(count=3, mean=2.5, max=4.0)"), out);
    }

    @Test
    void kotlinCheckpointing() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.CheckpointingKt.main());
        assertTrue(out.contains("fib(36) = 14930352; meanwhile the same thread ticked"), out);
    }

    @Test
    void kotlinParallelLoops() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.ParallelLoopsKt.main());
        assertTrue(out.contains("counted primes 4 times in parallel workers: [114155, 114155, 114155, 114155]"), out);
    }

    @Test
    void kotlinTimeoutCancellation() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.TimeoutCancellationKt.main());
        assertTrue(out.contains("alive: false"), out);
        assertTrue(out.contains("fib(20) = 6765"), out);
    }

    @Test
    void kotlinCacheWarmup() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.CacheWarmupKt.main());
        assertTrue(out.contains("prestart(2) took"), out);
    }

    @Test
    void kotlinSingleUseWorkers() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.SingleUseWorkersKt.main());
        String pids = out.substring(out.indexOf('[') + 1, out.indexOf(']'));
        assertTrue(java.util.Arrays.stream(pids.split(", ")).distinct().count() == 3, out);
    }

    @Test
    void parallelMap() throws Exception {
        String out = run(ParallelMap::main);
        assertTrue(out.contains("progress: 40 of 40 done, 0 failed"), out);
        assertTrue(out.contains("item 0 (20): fib = 6765"), out);
        assertTrue(out.contains("item 1 (-1): failed: TimeoutException"), out);
        assertTrue(out.contains("item 3 (0): failed: BrokenWorkerException"), out);
        assertTrue(out.contains("item 4 (22): fib = 17711"), out);
    }

    @Test
    void statefulModels() throws Exception {
        String out = run(StatefulModels::main);
        assertTrue(out.contains("primes below 100000: 9592 (on cpu:"), out);
        assertTrue(out.contains("primes below 800000: 63951 (on cpu:"), out);
        assertTrue(out.contains("unloaded the model on cpu:0 after "), out);
        assertTrue(out.contains("workers back in the cache: 2"), out);
    }

    @Test
    void kotlinStatefulScoring() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.StatefulScoringKt.main());
        assertTrue(out.contains("scores: [0, 42, 84, 126,"), out);
        assertTrue(out.contains("unloaded the vocabulary on cpu:0 after "), out);
    }

    @Test
    void kotlinMapFlow() throws Exception {
        String out = run(args -> dev.offload.examples.kotlin.MapFlowKt.main());
        assertTrue(out.contains("fib(25..30) = [75025, 121393, 196418, 317811, 514229, 832040]"), out);
        assertTrue(out.contains("primes below 10, 11, 12 (of an endless input): [4, 4, 5]"), out);
        assertTrue(out.contains("-1: failed (TimeoutException)"), out);
        assertTrue(out.contains("21: 10946"), out);
    }

    @Test
    void quickTimingsHarnessRuns() throws Exception {
        String out = run(args -> dev.offload.examples.bench.QuickTimings.main(new String[] {"2", "200"}));
        assertTrue(out.contains("cold start to first result: median"), out);
        assertTrue(out.contains("warm round trip fib(1): median"), out);
        String first = run(args -> dev.offload.examples.bench.FirstInvocation.main(new String[] {"reflect"}));
        assertTrue(first.contains("reflect: first invocation"), first);
    }

    /** The benchmark harness, in its few-second smoke mode: every figure and target is measured and reported. */
    @Test
    void benchmarkHarnessSmokeRunWritesEveryTarget(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("BENCHMARKS.md");
        String out = run(args -> dev.offload.examples.bench.Benchmarks.main(
                new String[] {"--smoke", "--out", file.toString(), "--command", "the test command"}));
        String md = Files.readString(file);
        assertTrue(md.startsWith("# Benchmarks"), md);
        assertTrue(md.contains("Smoke run"), md);
        assertTrue(md.contains("- Command: `the test command`"), md);
        assertTrue(md.contains("- Load average (1, 5, 15 min): "), md);
        assertTrue(out.contains("## Targets (issue 6): "), out);
        String targets = md.substring(md.indexOf("## Targets"), md.indexOf("## Figures"));
        List<String> rows = targets.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| target")
                && !l.startsWith("| ---")).collect(Collectors.toList());
        assertEquals(42, rows.size(), targets);
        for (String row : rows) {
            String verdict = row.substring(row.lastIndexOf('|', row.length() - 2) + 1, row.length() - 1).trim();
            assertTrue(List.of("PASS", "MISS", "-").contains(verdict), row);
            assertFalse(row.contains("n/a"), row);
        }
        for (String figure : List.of("raw pipe echo, 16-byte frame, 1 worker", "bare JVM start",
                "naive: one ProcessBuilder JVM per call", "in-process hand-off", "CPU scaling, 2 vs 1 bare child JVMs",
                "Offload Kotlin runSync(::inc) (JSON), 1 worker", "Kotlin cancelAndJoin()", "RSS, worker, idle",
                "PSS, Java worker", "Java mapAll(inc) over 1000 items", "codec work of a Kotlin Int -> Int call",
                "one frame written and read")) {
            assertTrue(md.contains(figure), figure + " missing in\n" + md);
        }
    }

    @Test
    void demo() throws Exception {
        String out = run(Demo::main);
        assertTrue(out.contains("== 4. Print just works"), out);
    }
}
