package dev.offload;

import static dev.offload.testing.Counts.assertCounts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Round trips of values and exceptions through real worker JVMs, and worker reuse. */
@ExtendWith(NoWorkerLeft.class)
class WorkerContextTest {

    @Test
    void valuesOfEveryArityComeBack() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals("hello", ctx.runSync(Fns::hello));
            assertEquals(49, ctx.runSync(Fns::square, 7));
            assertEquals("abc", ctx.runSync(Fns::concat, "a", "b", "c"));
            assertEquals(new Fns.Point(2, 1), ctx.runSync(Fns::mirror, new Fns.Point(1, 2)));
            assertEquals(6, ctx.runSync(Fns::sum, List.of(1, 2, 3)));
            assertEquals(Map.of("a", 2, "b", 1), ctx.runSync(Fns::counts, "a b a"));
        }
    }

    @Test
    void nullResultComesBackAsNull() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertNull(ctx.runSync(Fns::nothing));
        }
    }

    @Test
    void oneMebibyteTravelsBothWays() {
        try (WorkerContext ctx = WorkerContext.open()) {
            byte[] big = ctx.runSync(Fns::bytes, 1 << 20);
            assertArrayEquals(Fns.bytes(1 << 20), big);
            assertEquals(1 << 20, ctx.runSync(Fns::length, big));
        }
    }

    @Test
    void constructorAndUnboundInstanceReferencesWork() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(new Fns.Point(3, 4), ctx.runSync(Fns.Point::new, 3, 4));
            assertEquals(5, ctx.runSync(String::length, "hello"));
        }
    }

    @Test
    void rebuildableExceptionArrivesAsItselfWithItsCause() {
        try (WorkerContext ctx = WorkerContext.open()) {
            Fns.SpecialException e = assertThrows(Fns.SpecialException.class, () -> ctx.runSync(Fns::specialFailure, "b"));
            assertEquals("b", e.getMessage());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals("a", e.getCause().getMessage());
            assertEquals("specialFailure", e.getStackTrace()[0].getMethodName(), "the remote stack trace is kept");
            assertEquals(0, ctx.statistics().runningWorkers());
            assertEquals(1, ctx.statistics().idleWorkers(), "the worker that threw stays in use");
        }
    }

    @Test
    void aWorkersExceptionShowsItsFramesThenTheWorkerThenTheCallersFrames() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            Fns.SpecialException e = assertThrows(Fns.SpecialException.class, () -> ctx.runSync(Fns::specialFailure, "b"));
            List<StackTraceElement> trace = List.of(e.getStackTrace());
            int boundary = -1;
            for (int i = 0; i < trace.size(); i++) {
                if (trace.get(i).getClassName().equals("_OFFLOAD")) {
                    boundary = i;
                }
            }
            assertTrue(boundary > 0, trace.toString());
            assertEquals("specialFailure", trace.get(0).getMethodName(), "the worker's frames first");
            assertEquals("worker pid " + pid, trace.get(boundary).getFileName(), trace.toString());
            assertEquals("runSync", trace.get(boundary + 1).getMethodName(), "then the caller's, from its API call");
            assertTrue(trace.subList(boundary + 1, trace.size()).stream().anyMatch(f -> f.getMethodName()
                    .equals("aWorkersExceptionShowsItsFramesThenTheWorkerThenTheCallersFrames")), trace.toString());
            assertEquals(1, trace.stream().filter(f -> f.getClassName().equals("_OFFLOAD")).count());
        }
    }

    @Test
    void unrebuildableExceptionArrivesAsRemoteTaskException() {
        try (WorkerContext ctx = WorkerContext.open()) {
            RemoteTaskException e = assertThrows(RemoteTaskException.class, () -> ctx.runSync(Fns::hiddenFailure));
            assertEquals("dev.offload.Fns$Hidden", e.remoteClassName());
            assertEquals("dev.offload.Fns$Hidden: secret", e.getMessage());
            assertEquals("secret", e.remoteMessage());
        }
    }

    @Test
    void checkedExceptionIsCatchableAsItself() {
        try (WorkerContext ctx = WorkerContext.open()) {
            try {
                ctx.runSync(Fns::checked, "/nowhere");
                throw new AssertionError("expected an IOException");
            } catch (IOException e) {
                assertEquals("cannot read /nowhere", e.getMessage());
            }
        }
    }

    @Test
    void submitCompletesExceptionallyWithTheSameException() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> f = ctx.submit(Fns::specialFailure, "x");
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(Fns.SpecialException.class, e.getCause());
            assertEquals(9, ctx.submit(Fns::square, 3).get());
        }
    }

    @Test
    void workerIsAnotherProcessAndIsReusedLifo() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long first = ctx.runSync(Fns::pid);
            long second = ctx.runSync(Fns::pid);
            assertNotEquals(ProcessHandle.current().pid(), first);
            assertEquals(first, second, "two sequential calls on a warm context use the same worker");
        }
    }

    @Test
    void mostRecentlyUsedWorkerIsTakenFirst() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(2);
            assertEquals(2, ctx.statistics().idleWorkers());
            long a = ctx.runSync(Fns::pid);
            long b = ctx.runSync(Fns::pid);
            long c = ctx.runSync(Fns::pid);
            assertEquals(a, b);
            assertEquals(b, c);
        }
    }

    @Test
    void twoCallingThreadsEachKeepTheirOwnWorker() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(2);
            CyclicBarrier start = new CyclicBarrier(2);
            Callable<Integer> caller = () -> {
                start.await(10, TimeUnit.SECONDS);
                long last = ctx.runSync(Fns::pid);
                int changes = 0;
                for (int i = 0; i < 300; i++) {
                    long pid = ctx.runSync(Fns::pid);
                    changes += pid == last ? 0 : 1;
                    last = pid;
                }
                return changes;
            };
            ExecutorService two = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> a = two.submit(caller);
                Future<Integer> b = two.submit(caller);
                // Once the two threads have met on one worker, each keeps its own: no churn between the pairs.
                assertTrue(a.get(60, TimeUnit.SECONDS) <= 2, "worker changes of thread a: " + a.get());
                assertTrue(b.get(60, TimeUnit.SECONDS) <= 2, "worker changes of thread b: " + b.get());
            } finally {
                two.shutdownNow();
            }
        }
    }

    @Test
    void retireTrueGivesTheNextCallANewWorker() {
        WorkerConfig config = WorkerConfig.builder().retire(Fns::alwaysRetire).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            long first = ctx.runSync(Fns::pid);
            long second = ctx.runSync(Fns::pid);
            assertNotEquals(first, second);
        }
    }

    @Test
    void retireDecidesPerWorkerFromItsOwnState() {
        WorkerConfig config = WorkerConfig.builder().retire(Fns::retireAfterSecondCall).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            long a = ctx.runSync(Fns::pid);
            long b = ctx.runSync(Fns::pid);
            long c = ctx.runSync(Fns::pid);
            assertEquals(a, b);
            assertNotEquals(b, c);
        }
    }

    @Test
    void initRunsExactlyOncePerWorker() throws Exception {
        WorkerConfig config = WorkerConfig.builder().init(Fns::countInit).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            CompletableFuture<Integer> a = ctx.submit(Fns::initRuns);
            CompletableFuture<Integer> b = ctx.submit(Fns::initRuns);
            assertEquals(1, a.get());
            assertEquals(1, b.get());
            assertEquals(1, ctx.runSync(Fns::initRuns));
            assertEquals(1, ctx.runSync(Fns::initRuns));
        }
    }

    @Test
    void idleTimeoutRetiresAnIdleWorker() {
        WorkerConfig config = WorkerConfig.builder().idleTimeout(Duration.ofMillis(200)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            long pid = ctx.runSync(Fns::pid);
            assertEquals(1, ctx.statistics().idleWorkers());
            dev.offload.testing.Eventually.within(Duration.ofSeconds(5), "idle worker exits",
                    () -> dev.offload.testing.Eventually.gone(pid));
            assertEquals(0, ctx.statistics().idleWorkers());
            assertNotEquals(pid, ctx.runSync(Fns::pid), "the next call starts a new worker");
        }
    }

    @Test
    void statisticsCountIdleAndRunningWorkers(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        WorkerContext ctx = WorkerContext.open();
        assertCounts(0, 0, ctx.statistics());
        java.nio.file.Path marker = dir.resolve("running");
        CompletableFuture<Integer> slow = ctx.submit(Fns::touchThenSleep, marker.toString(), 60_000);
        dev.offload.testing.Eventually.running(marker); // in its worker, not still starting one
        assertEquals(1, ctx.statistics().runningWorkers());
        assertEquals(0, ctx.statistics().idleWorkers());
        ctx.runSync(Fns::square, 2);
        assertCounts(1, 1, ctx.statistics());
        slow.cancel(true);
        dev.offload.testing.Eventually.within(Duration.ofSeconds(5), "cancelled call settles",
                () -> ctx.statistics().runningWorkers() == 0);
        assertCounts(1, 0, ctx.statistics());
        ctx.close();
        assertCounts(0, 0, ctx.statistics());
    }

    @Test
    void jvmOptionsSystemPropertiesAndEnvironmentReachTheWorker() {
        WorkerConfig config = WorkerConfig.builder()
                .jvmOptions("-Dfrom.option=yes")
                .systemProperty("from.property", "with spaces and \"quotes\" and \\ backslash")
                .systemProperty("from.lines", "line 1\nline 2\r\nline 3\ttab \\n")
                .environment("OFFLOAD_TEST_VAR", "set")
                .build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            assertEquals("yes", ctx.runSync(Fns::systemProperty, "from.option"));
            assertEquals("with spaces and \"quotes\" and \\ backslash", ctx.runSync(Fns::systemProperty, "from.property"));
            assertEquals("line 1\nline 2\r\nline 3\ttab \\n", ctx.runSync(Fns::systemProperty, "from.lines"));
            assertEquals("set", ctx.runSync(Fns::env, "OFFLOAD_TEST_VAR"));
            assertEquals(System.getProperty("java.class.path"), ctx.runSync(Fns::systemProperty, "java.class.path"));
        }
    }

    @Test
    void concurrentCallsRunInSeparateWorkers() throws Exception {
        Limiter two = Limiter.create(2);
        CallOptions opts = CallOptions.builder().limiter(two).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> a = ctx.submit(opts, Fns::sleepMillis, 300);
            CompletableFuture<Integer> b = ctx.submit(opts, Fns::sleepMillis, 300);
            a.get();
            b.get();
            assertEquals(2, ctx.statistics().idleWorkers());
        }
    }

    @Test
    void workersAreStartedWithTheParentsJava() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            String command = ProcessHandle.of(pid).orElseThrow().info().command().orElse("");
            assertTrue(command.startsWith(System.getProperty("java.home")) || command.isEmpty(), command);
            assertEquals(System.getProperty("java.home"), ctx.runSync(Fns::systemProperty, "java.home"));
        }
    }

    @Test
    void workersUseTheSerialCollectorUnlessTheOptionsChooseOne() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals("Copy,MarkSweepCompact", ctx.runSync(Fns::collectors));
        }
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().jvmOptions("-XX:+UseParallelGC").build())) {
            assertEquals("PS MarkSweep,PS Scavenge", String.join(",", new java.util.TreeSet<>(
                    java.util.List.of(ctx.runSync(Fns::collectors).split(",")))));
        }
    }

    @Test
    void workersStartWithASmallHeapUnlessTheOptionsSizeIt() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(16L << 20, ctx.runSync(Fns::initialHeap));
        }
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().jvmOptions("-Xmx24m").build())) {
            assertNotEquals(16L << 20, ctx.runSync(Fns::initialHeap)); // no -Xms16m that could exceed -Xmx
        }
    }

    @Test
    void workersOnThisJdkTrimTheirNativeHeapUnlessTheOptionsSayOtherwise() throws Exception {
        Runtime.Version v = Runtime.version();
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux")
                && (v.feature() >= 22 || (v.feature() == 21 && v.update() >= 1) || (v.feature() == 17 && v.update() >= 9)),
                "native-heap trimming needs Linux and JDK 17.0.9+, 21.0.1+ or 22+");
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals("1000", ctx.runSync(Fns::vmOption, "TrimNativeHeapInterval"));
        }
        WorkerConfig own = WorkerConfig.builder()
                .jvmOptions("-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=0").build();
        try (WorkerContext ctx = WorkerContext.open(own)) {
            assertEquals("0", ctx.runSync(Fns::vmOption, "TrimNativeHeapInterval"));
        }
    }

    @Test
    void lowLatencyModeSpinsOnBothSidesAndCallsStillWork() {
        WorkerConfig config = WorkerConfig.builder().spinWait(Duration.ofNanos(50_000)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            assertEquals("50000", ctx.runSync(Fns::systemProperty, "offload.spinNanos"));
            for (int i = 0; i < 100; i++) {
                assertEquals(i * i, ctx.runSync(Fns::square, i));
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().spinWait(Duration.ofMillis(11)));
        assertEquals("spinWait must be at most 10 ms, was PT0.011S; a longer spin only burns CPU", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WorkerConfig.builder().spinWait(Duration.ofNanos(10_000_001)));
        assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().spinWait(Duration.ofSeconds(Long.MAX_VALUE)));
        assertEquals(Duration.ofMillis(10), WorkerConfig.builder().spinWait(Duration.ofMillis(10)).build().spinWait());
    }

    @Test
    void nullsAreRefusedWithWhatToPassInstead() {
        NullPointerException options = assertThrows(NullPointerException.class,
                () -> WorkerConfig.builder().jvmOptions((String[]) null));
        assertEquals("jvmOptions must not be null; pass no options for none", options.getMessage());
        try (WorkerContext ctx = WorkerContext.open()) {
            NullPointerException fn = assertThrows(NullPointerException.class,
                    () -> ctx.mapAll((Fn1<Integer, Integer, RuntimeException>) null, List.of(1)));
            assertTrue(fn.getMessage().startsWith("fn must not be null"), fn.getMessage());
            NullPointerException input = assertThrows(NullPointerException.class,
                    () -> ctx.map(Fns::square, (Iterable<Integer>) null, MapOptions.DEFAULT));
            assertEquals("input must not be null; pass an empty collection for none", input.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ctx.prestart(-1));
        }
    }

    @Test
    void spinningIsAdaptiveUntilSetAndEveryKindReturnsEveryResult() throws Exception {
        assertTrue(WorkerConfig.defaults().adaptiveSpin());
        assertEquals(Duration.ZERO, WorkerConfig.defaults().spinWait());
        WorkerConfig off = WorkerConfig.builder().spinWait(Duration.ZERO).build();
        assertTrue(!off.adaptiveSpin() && off.spinWait().isZero());
        assertTrue(!WorkerConfig.builder().spinWait(Duration.ofNanos(1000)).build().adaptiveSpin());
        assertTrue(!off.toBuilder().build().adaptiveSpin(), "toBuilder keeps the choice");
        for (WorkerConfig config : List.of(WorkerConfig.defaults(), off)) {
            try (WorkerContext ctx = WorkerContext.open(config)) {
                assertEquals(null, ctx.runSync(Fns::systemProperty, "offload.spinNanos"), "no fixed spin in the worker");
                for (int i = 0; i < 2000; i++) { // one thread: the adaptive spin turns on after a few quick replies
                    assertEquals(i * i, ctx.runSync(Fns::square, i));
                }
                java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
                try { // two threads: it turns off
                    List<java.util.concurrent.Future<Integer>> sums = two.invokeAll(List.of(() -> sumOfSquares(ctx),
                            () -> sumOfSquares(ctx)));
                    for (java.util.concurrent.Future<Integer> f : sums) {
                        assertEquals(332_833_500, f.get());
                    }
                } finally {
                    two.shutdownNow();
                }
            }
        }
    }

    private static int sumOfSquares(WorkerContext ctx) {
        int sum = 0;
        for (int i = 0; i < 1000; i++) {
            sum += ctx.runSync(Fns::square, i);
        }
        return sum;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void largeByteArraysArriveWholeWhereverTheyAreInTheCall() {
        byte[] big = random(3 << 20, 1);
        byte[] other = random(200_000, 2);
        try (WorkerContext ctx = WorkerContext.open()) {
            assertArrayEquals(big, ctx.runSync(Fns::echoBytes, big));
            // the first array is followed by another value: it cannot be sent as the frame's tail, and is copied
            byte[] both = ctx.runSync(Fns::concat, big, other);
            assertArrayEquals(java.util.Arrays.copyOfRange(both, 0, big.length), big);
            assertArrayEquals(java.util.Arrays.copyOfRange(both, big.length, both.length), other);
            assertEquals(big.length, ctx.runSync(Fns::length, big));
            assertEquals(0, ctx.runSync(Fns::length, new byte[0]));
        }
    }

    @Test
    void submitSendsTheArgumentsAsTheyWereWhenSubmitted() throws Exception {
        byte[] big = random(1 << 20, 3);
        byte[] original = big.clone();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<byte[]> f = ctx.submit(Fns::echoBytes, big); // no worker yet: it is sent later
            java.util.Arrays.fill(big, (byte) 0); // a caller may reuse its buffer once submit has returned
            assertArrayEquals(original, f.get());
        }
    }
}
