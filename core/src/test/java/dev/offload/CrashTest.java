package dev.offload;

import static dev.offload.testing.Counts.assertCounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A worker that dies fails only its own call; the context carries on with a new worker. */
@ExtendWith(NoWorkerLeft.class)
class CrashTest {
    @TempDir
    Path dir;

    @Test
    void systemExitIsABrokenWorkerWithItsExitCode() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long before = ctx.runSync(Fns::pid);
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::exitWith, 42));
            assertEquals(42, e.exitCode().orElseThrow());
            assertEquals(before, e.pid());
            assertTrue(e.signal().isEmpty());
            assertTrue(e.getMessage().contains("exited with code 42 while running dev.offload.Fns.exitWith(int)"),
                    e.getMessage());
            long after = ctx.runSync(Fns::pid);
            assertNotEquals(before, after, "the next call gets a new worker");
            BrokenWorkerException zero = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::exitWith, 0));
            assertEquals(0, zero.exitCode().orElseThrow());
            Eventually.within(Duration.ofSeconds(10), "both exits counted", () -> ctx.statistics().workersCrashed() == 2);
            assertEquals(0, ctx.statistics().workersRetired(), "exit code 0 during a call is no retirement: "
                    + ctx.statistics());
        }
    }

    @Test
    void haltIsABrokenWorker() {
        try (WorkerContext ctx = WorkerContext.open()) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::halt, 3));
            assertEquals(3, e.exitCode().orElseThrow());
            assertEquals(9, ctx.runSync(Fns::square, 3));
        }
    }

    @Test
    void sigkillFromOutsideIsABrokenWorkerNamingTheSignal() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            Path marker = dir.resolve("running");
            CompletableFuture<Integer> f = ctx.submit(Fns::touchThenSpin, marker.toString());
            Eventually.running(marker);
            ProcessHandle worker = NoWorkerLeft.liveWorkers().get(0);
            new ProcessBuilder("kill", "-KILL", Long.toString(worker.pid())).start().waitFor();
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            BrokenWorkerException b = assertInstanceOf(BrokenWorkerException.class, e.getCause());
            assertEquals("SIGKILL", b.signal().orElseThrow());
            assertEquals(137, b.exitCode().orElseThrow());
            assertEquals(16, ctx.runSync(Fns::square, 4));
        }
    }

    @Test
    void otherCallsSurviveACrash() throws Exception {
        Limiter two = Limiter.create(2);
        CallOptions opts = CallOptions.builder().limiter(two).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> survivor = ctx.submit(opts, Fns::sleepMillis, 500);
            CompletableFuture<Integer> crasher = ctx.submit(opts, Fns::exitWith, 7);
            ExecutionException e = assertThrows(ExecutionException.class, crasher::get);
            assertInstanceOf(BrokenWorkerException.class, e.getCause());
            assertEquals(500, survivor.get());
        }
    }

    @Test
    void initThatThrowsIsABrokenWorkerNamingTheCause() {
        WorkerConfig config = WorkerConfig.builder().init(Fns::failingInit).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().contains("init function dev.offload.Fns.failingInit() threw"
                    + " java.lang.IllegalStateException: init boom"), e.getMessage());
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertEquals("init boom", e.getCause().getMessage());
            assertCounts(0, 0, ctx.statistics());
            // The worker's JVM did start: it counts as started and as crashed, never crashed without started.
            dev.offload.testing.Eventually.within(java.time.Duration.ofSeconds(10), "the failed worker is counted",
                    () -> ctx.statistics().workersCrashed() >= 1);
            WorkerStatistics s = ctx.statistics();
            assertEquals(s.workersStarted(), s.workersCrashed() + s.idleWorkers() + s.runningWorkers(), s.toString());
        }
    }

    @Test
    void retireThatThrowsIsABrokenWorkerForThatCall() {
        WorkerConfig config = WorkerConfig.builder().retire(Fns::failingRetire).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().contains("retire function dev.offload.Fns.failingRetire()"
                    + " threw java.lang.IllegalArgumentException: retire boom"), e.getMessage());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertEquals(1, e.exitCode().orElseThrow());
        }
    }

    @Test
    void rawBytesOnTheFrameChannelAreAProtocolErrorNeverAResult() {
        try (WorkerContext ctx = WorkerContext.open()) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::rawStdout));
            assertTrue(e.getMessage().contains("it broke the protocol: garbage in frame stream"), e.getMessage());
            assertTrue(e.getMessage().contains("Hello from the wrong stream"), e.getMessage());
            assertEquals(4, ctx.runSync(Fns::square, 2));
        }
    }

    @Test
    void unencodableResultIsAClearErrorAndTheWorkerStaysUsable() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            Exception e = assertThrows(Exception.class, () -> ctx.runSync(Fns::unencodableResult));
            assertTrue(e.getMessage().contains("java.lang.Thread"), e.getMessage());
            assertEquals(pid, ctx.runSync(Fns::pid));
        }
    }

    @Test
    void resultLargerThanTheMaximumFrameIsAClearError() {
        WorkerConfig config = WorkerConfig.builder().maxFrameSize(64 * 1024).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            long pid = ctx.runSync(Fns::pid);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.runSync(Fns::bytes, 100_000));
            assertTrue(e.getMessage().contains("too large to send"), e.getMessage());
            assertEquals(pid, ctx.runSync(Fns::pid), "the worker stays usable");
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::length, new byte[100_000]));
            assertTrue(refused.getMessage().contains("exceeds the maximum frame size")
                    && refused.getMessage().endsWith("; pass less, or raise WorkerConfig.builder().maxFrameSize(...)"),
                    refused.getMessage());
        }
    }

    @Test
    void anExceptionLargerThanTheMaximumFrameArrivesShortened() {
        WorkerConfig config = WorkerConfig.builder().maxFrameSize(1024).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            long pid = ctx.runSync(Fns::pid);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::failWithLongMessage, 5_000));
            assertTrue(e.getMessage().startsWith("bad input xxx"), e.getMessage());
            assertTrue(e.getMessage().contains("shortened") && e.getMessage().contains("1024 bytes"), e.getMessage());
            assertTrue(e.getMessage().length() < 1024, e.getMessage());
            assertTrue(java.util.Arrays.stream(e.getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals("failWithLongMessage")), "where it was thrown is kept");
            assertEquals(pid, ctx.runSync(Fns::pid), "the worker stays usable");
        }
    }

    @Test
    void workerThatCannotStartFailsTheCallWithItsStderr() {
        WorkerConfig config = WorkerConfig.builder().jvmOptions("-XX:+NoSuchOfflodFlag").build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().startsWith("worker failed to start"), e.getMessage());
            assertTrue(e.stderrTail().contains("NoSuchOfflodFlag"), e.stderrTail());
        }
    }
}
