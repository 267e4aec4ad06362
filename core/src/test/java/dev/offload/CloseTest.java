package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.ChildJava;
import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Closing a context: clean exits, grace period, aggregated report, refusal afterwards. */
@ExtendWith(NoWorkerLeft.class)
class CloseTest {
    @TempDir
    Path dir;

    @Test
    void idleWorkersExitCleanlyAndPrintNothing() {
        WorkerContext ctx = WorkerContext.open();
        ctx.prestart(2);
        assertEquals(2, ctx.statistics().idleWorkers());
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            PrintStream capture = new PrintStream(printed, true);
            System.setOut(capture);
            System.setErr(capture);
            ctx.close(); // would throw on any nonzero exit code or forced kill
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", printed.toString());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returns after every worker is reaped");
    }

    @Test
    void closingWithTheInterruptFlagSetLetsIdleWorkersExitCleanlyAndKeepsTheFlag() {
        WorkerContext ctx = WorkerContext.open();
        ctx.prestart(2);
        Thread.currentThread().interrupt(); // as after an interrupted runSync, inside try-with-resources
        try {
            ctx.close(); // would throw on any forced kill
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is set again on return");
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, ctx.statistics().workersKilled(), ctx.statistics().toString());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returns after every worker is reaped");
    }

    @Test
    void closingRightAfterOpeningWithPrestartLetsTheBootingWorkersExitCleanly() {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().prestart(2).build());
        ctx.close(); // would throw on a forced kill
        assertEquals(0, ctx.statistics().workersKilled(), ctx.statistics().toString());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returns after every worker is reaped");
    }

    @Test
    void aWorkerExitingAfterItsCallIsLeftToFinishWhileAnotherCallStillRuns() throws Exception {
        // Once the first call is done its worker gets EOF and exits slowly; the close must not cut that short, nor
        // take it for a start that nobody wants once the second call is done too.
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofSeconds(30)).build());
        CompletableFuture<String> first = ctx.submit(Fns::slowExitAfter, 1000L, a.toString());
        CompletableFuture<String> second = ctx.submit(Fns::slowExitAfter, 1300L, b.toString());
        Eventually.within(Duration.ofSeconds(20), "both calls run", () -> ctx.statistics().runningWorkers() == 2
                && NoWorkerLeft.liveWorkers().size() == 2);
        ctx.close(); // would throw on a forced kill
        assertEquals("ok", first.get());
        assertEquals("ok", second.get());
        assertTrue(java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b), "both workers exited cleanly");
        assertEquals(0, ctx.statistics().workersKilled(), ctx.statistics().toString());
    }

    @Test
    void anInterruptedCloseDoesNotHandAWorkerStillStartingToItsCall() throws Exception {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofSeconds(60)).build());
        CompletableFuture<Long> call = ctx.submit(Fns::hangIfNegative, -1); // its worker is starting
        Thread.currentThread().interrupt();
        try {
            ctx.close(); // nothing to report: the call never ran
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is set again on return");
        } finally {
            Thread.interrupted();
        }
        ExecutionException e = assertThrows(ExecutionException.class, call::get);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().startsWith("worker context closed before"), e.getCause().getMessage());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returns after every worker is reaped");
    }

    @Test
    void anInterruptWhileClosingKillsTheRunningCallsAtOnceAndSaysSo() throws Exception {
        Path marker = dir.resolve("spinning");
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofSeconds(60)).build());
        ctx.prestart(2);
        CompletableFuture<Integer> call = ctx.submit(Fns::touchThenSpin, marker.toString());
        Eventually.running(marker);
        Thread closer = Thread.currentThread();
        CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
            Eventually.within(Duration.ofSeconds(10), "close is waiting for the running call",
                    () -> closer.getState() == Thread.State.TIMED_WAITING);
            closer.interrupt();
        });
        long start = System.nanoTime();
        try {
            ctx.close(); // the running call's kill was asked for: no failed shutdown to report
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is set again on return");
        } finally {
            Thread.interrupted();
        }
        interrupter.join();
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos(), "not the 60 s grace period");
        ExecutionException e = assertThrows(ExecutionException.class, call::get);
        BrokenWorkerException broken = assertInstanceOf(BrokenWorkerException.class, e.getCause());
        assertTrue(broken.getMessage().contains("the thread closing it was interrupted"), broken.getMessage());
        assertEquals(1, ctx.statistics().workersKilled(), "only the running call's worker was killed: "
                + ctx.statistics());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returns after every worker is reaped");
    }

    @Test
    void workerStuckInRetireIsKilledAfterTheGracePeriodAndReported() throws Exception {
        Path marker = dir.resolve("in-retire");
        WorkerConfig config = WorkerConfig.builder()
                .retire(Fns::touchThenHang)
                .systemProperty("offload.test.marker", marker.toString())
                .gracePeriod(Duration.ofMillis(300))
                .build();
        WorkerContext ctx = WorkerContext.open(config);
        CompletableFuture<Integer> call = ctx.submit(Fns::square, 5);
        Eventually.running(marker);
        long start = System.nanoTime();
        BrokenWorkerException report = assertThrows(BrokenWorkerException.class, ctx::close);
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis >= 300, "waited the grace period, took " + tookMillis + " ms");
        assertEquals("graceful shutdown failed: 0 nonzero exit codes and 1 forced kill", report.getMessage());
        assertEquals(1, report.getSuppressed().length);
        BrokenWorkerException one = (BrokenWorkerException) report.getSuppressed()[0];
        assertEquals("SIGKILL", one.signal().orElseThrow());
        assertTrue(one.getMessage().contains("was killed by SIGKILL (exit code 137), by Offload: it was still running "
                + "when the grace period (PT0.3S) elapsed"), one.getMessage());
        ExecutionException e = assertThrows(ExecutionException.class, call::get);
        BrokenWorkerException b = assertInstanceOf(BrokenWorkerException.class, e.getCause());
        assertTrue(b.getMessage().contains("grace period (PT0.3S) elapsed"), b.getMessage());
    }

    @Test
    void aZeroGracePeriodStillLetsIdleWorkersExitCleanly() {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ZERO).build());
        assertEquals(4, ctx.runSync(Fns::square, 2));
        ctx.prestart(1);
        ctx.close(); // would throw on a forced kill: the grace period is for running calls, not idle workers
        assertEquals(0, ctx.statistics().workersKilled());
    }

    @Test
    void aJvmThatExitsWithACallRunningSaysItWaitsForItThenKillsItsWorker() throws Exception {
        ChildJava.Result r = ChildJava.run("-cp", System.getProperty("java.class.path"),
                ExitWhileRunning.class.getName(), dir.resolve("running").toString());
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.startsWith("running"), r.output);
        assertTrue(r.output.contains("Offload: the JVM is exiting; waiting up to PT0.5S for 1 running call to finish"
                + " (WorkerConfig.gracePeriod), then killing its worker"), r.output);
    }

    @Test
    void runningCallsMayFinishWithinTheGracePeriod() throws Exception {
        WorkerContext ctx = WorkerContext.open();
        Path marker = dir.resolve("running");
        CompletableFuture<Integer> call = ctx.submit(Fns::touchThenSleep, marker.toString(), 300);
        Eventually.running(marker);
        ctx.close();
        assertEquals(300, call.get());
    }

    @Test
    void callsWhoseWorkerIsStillStartingRunWithinTheGracePeriod() throws Exception {
        WorkerContext ctx = WorkerContext.open(); // no worker yet: each call starts one
        CompletableFuture<Integer> quick = ctx.submit(Fns::sleepMillis, 300);
        CompletableFuture<Integer> other = ctx.submit(Fns::square, 7);
        ctx.close();
        assertEquals(300, quick.get());
        assertEquals(49, other.get());
        assertEquals(2, ctx.statistics().callsCompleted());
    }

    @Test
    void callsAfterCloseFailClearly() {
        WorkerContext ctx = WorkerContext.open();
        ctx.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.runSync(Fns::square, 2));
        assertEquals("worker context is closed; cannot run dev.offload.Fns.square(int)", e.getMessage());
        assertThrows(IllegalStateException.class, () -> ctx.submit(Fns::square, 2));
        assertThrows(IllegalStateException.class, () -> ctx.prestart(1));
        ctx.close(); // a second close is a no-op
        assertTrue(ctx.isClosed());
    }

    @Test
    void callsWaitingForAPermitFailWhenTheContextCloses() throws Exception {
        Limiter one = Limiter.create(1);
        CallOptions opts = CallOptions.builder().limiter(one).build();
        WorkerContext ctx = WorkerContext.open();
        Path marker = dir.resolve("running");
        CompletableFuture<Integer> running = ctx.submit(opts, Fns::touchThenSleep, marker.toString(), 200);
        Eventually.running(marker);
        CompletableFuture<Integer> waiting = ctx.submit(opts, Fns::square, 2);
        ctx.close();
        assertEquals(200, running.get());
        ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
        assertEquals("worker context closed before dev.offload.Fns.square(int) started", e.getCause().getMessage());
        assertEquals(0, one.inUse());
    }
}
