package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What cancelling, interrupting and timing out do to the worker. */
@ExtendWith(NoWorkerLeft.class)
class CancellationTest {

    @TempDir
    Path dir;
    private int markers;

    /** A fresh marker file path: the test function creates it once it runs inside its worker. */
    private String marker() {
        return dir.resolve("running-" + (++markers)).toString();
    }

    /** Waits until the call that creates the last marker runs, and returns its worker's pid. */
    private long busyWorkerPid() {
        Eventually.running(dir.resolve("running-" + markers));
        List<ProcessHandle> workers = NoWorkerLeft.liveWorkers();
        assertEquals(1, workers.size());
        return workers.get(0).pid();
    }

    @Test
    void aCancellationExceptionTheFunctionThrowsIsItsFailureNotACancelledCall() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            CompletableFuture<Integer> f = ctx.submit(Fns::cancelOnOdd, 1);
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(CancellationException.class, e.getCause());
            assertEquals("no valid input 1", e.getCause().getMessage());
            assertFalse(f.isCancelled(), "nobody cancelled the call");
            assertTrue(f.isCompletedExceptionally());
            CancellationException thrown = assertThrows(CancellationException.class, () -> ctx.runSync(Fns::cancelOnOdd, 3));
            assertEquals("no valid input 3", thrown.getMessage());
            assertFalse(Thread.currentThread().isInterrupted());
            WorkerStatistics stats = ctx.statistics();
            assertEquals(2, stats.callsFailed(), stats.toString());
            assertEquals(0, stats.callsCancelled(), stats.toString());
            assertEquals(pid, ctx.runSync(Fns::pid), "the worker stays: a thrown exception is an ordinary failure");
            for (MapOptions options : List.of(MapOptions.builder().concurrency(1).build(),
                    MapOptions.builder().concurrency(1).batchSize(4).build(),
                    MapOptions.builder().backend(MapOptions.Backend.THREADS).concurrency(2).build(),
                    MapOptions.builder().backend(MapOptions.Backend.INLINE).build())) {
                List<Outcome<Integer, Integer>> out = new ArrayList<>();
                try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::cancelOnOdd, List.of(0, 1, 2, 3),
                        options)) {
                    it.forEachRemaining(out::add);
                }
                assertEquals(List.of(true, false, true, false), out.stream().map(Outcome::isSuccess)
                        .collect(java.util.stream.Collectors.toList()), options + ": " + out);
                assertInstanceOf(CancellationException.class, out.get(1).failure(), options.toString());
                assertEquals(2, out.get(2).value(), options.toString());
            }
        }
    }

    @Test
    void aCancelRacingWithTheReplyCountsTheCallOnceAsItsCallerSawIt() throws Exception {
        // Cancels land at random moments around each reply; every call must count once, as its future ended. Without
        // killOnCancel, so that a cancel that wins costs no new worker (the race is the same).
        {
            boolean kill = false;
            CallOptions options = CallOptions.builder().killOnCancel(kill).build();
            int calls = 2000;
            int cancelled = 0;
            java.util.Random random = new java.util.Random(7);
            try (WorkerContext ctx = WorkerContext.open()) {
                ctx.prestart(1);
                for (int i = 0; i < calls; i++) {
                    CompletableFuture<Integer> f = ctx.submit(options, Fns::square, i);
                    long until = System.nanoTime() + random.nextInt(60_000);
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    if (f.cancel(true)) {
                        cancelled++;
                    } else {
                        assertEquals(i * i, f.get(20, TimeUnit.SECONDS));
                    }
                    ((dev.offload.internal.CallFuture<?>) f).settled().get(20, TimeUnit.SECONDS);
                }
                int cancelledCalls = cancelled;
                Eventually.within(Duration.ofSeconds(10), "every call counted", () -> {
                    WorkerStatistics s = ctx.statistics();
                    return s.callsCompleted() + s.callsFailed() + s.callsCancelled() == calls;
                });
                WorkerStatistics s = ctx.statistics();
                assertEquals(calls - cancelledCalls, s.callsCompleted(), "killOnCancel " + kill + ": " + s);
                assertEquals(cancelledCalls, s.callsCancelled(), "killOnCancel " + kill + ": " + s);
                assertEquals(0, s.callsFailed(), s.toString());
            }
        }
    }

    @Test
    void theCallersOwnCallbacksRunWithTheCancelledCallsWorkerAlreadyBeingKilled() throws Exception {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofSeconds(60)).build());
        CompletableFuture<Integer> f = ctx.submit(Fns::touchThenSpin, marker());
        long pid = busyWorkerPid();
        AtomicReference<Throwable> closing = new AtomicReference<>();
        CompletableFuture<Void> closed = f.whenComplete((r, e) -> { // runs inside cancel, before Offload's own hook
            try {
                ctx.close(); // has no running call to wait for: the cancelled call's worker is being killed
            } catch (Throwable t) {
                closing.set(t);
            }
        }).handle((r, e) -> null);
        long start = System.nanoTime();
        assertTrue(f.cancel(true));
        closed.get(20, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "close did not wait out the grace "
                + "period");
        assertEquals(null, closing.get(), "no forced kill to report: the cancel asked for it");
        assertTrue(Eventually.gone(pid));
        assertEquals(1, ctx.statistics().workersKilled(), ctx.statistics().toString());
        assertEquals(1, ctx.statistics().callsCancelled(), ctx.statistics().toString());
    }

    @Test
    void aRunSyncInterruptedWhileItsWorkerStartsReturnsAtOnceAndACloseCutsThatStartShort() throws Exception {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().init(Fns::hangingInit)
                .startupTimeout(Duration.ofSeconds(120)).gracePeriod(Duration.ofSeconds(60)).build());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                ctx.runSync(Fns::square, 3);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        Eventually.within(Duration.ofSeconds(10), "its worker is starting", () -> !NoWorkerLeft.liveWorkers().isEmpty());
        caller.interrupt();
        caller.join(10_000);
        assertFalse(caller.isAlive(), "runSync returned without waiting for the start (init hangs for 60 s)");
        assertInstanceOf(CancellationException.class, thrown.get());
        assertTrue(thrown.get().getMessage().endsWith("reached a worker; it did not run"), thrown.get().getMessage());
        assertEquals(1, ctx.statistics().callsCancelled(), ctx.statistics().toString());
        // The start goes on, for the next call; a close cuts it short at once, as no call wants it: no grace period,
        // and no failed shutdown to report.
        long start = System.nanoTime();
        ctx.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "close did not wait out the grace period");
    }

    @Test
    void cancelledCallKillsWorker() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> f = ctx.submit(Fns::touchThenSpin, marker());
            long pid = busyWorkerPid();
            long start = System.nanoTime();
            assertTrue(f.cancel(true));
            assertThrows(CancellationException.class, f::join);
            Eventually.within(Duration.ofSeconds(1), "killed worker is gone", () -> Eventually.gone(pid));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
            Eventually.within(Duration.ofSeconds(1), "call settles", () -> ctx.statistics().runningWorkers() == 0);
            assertEquals(0, ctx.statistics().idleWorkers(), "a killed worker is never reused");
            assertEquals(4, ctx.runSync(Fns::square, 2), "the context keeps working");
        }
    }

    @Test
    void interruptedRunSyncKillsWorkerAndThrowsCancellation() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Boolean> interruptKept = new AtomicReference<>();
            String marker = marker();
            Thread caller = new Thread(() -> {
                try {
                    ctx.runSync(Fns::touchThenSpin, marker);
                } catch (Throwable t) {
                    thrown.set(t);
                    interruptKept.set(Thread.currentThread().isInterrupted());
                }
            });
            caller.start();
            long pid = busyWorkerPid();
            long start = System.nanoTime();
            caller.interrupt();
            caller.join(1000);
            assertFalse(caller.isAlive(), "runSync returns within 1 s of the interrupt");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
            assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
            assertEquals("interrupted while running dev.offload.Fns.touchThenSpin(java.lang.String): its worker was"
                    + " killed", thrown.get().getMessage());
            assertTrue(interruptKept.get(), "the interrupt status is kept");
            assertTrue(Eventually.gone(pid), "runSync returns after the worker is reaped");
        }
    }

    @Test
    void aRunSyncInterruptedWhileWaitingForAPermitSaysTheCallDidNotRun() throws Exception {
        Limiter one = Limiter.create(1);
        one.acquire(); // taken: the call waits for it
        try (WorkerContext ctx = WorkerContext.open()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                try {
                    ctx.runSync(CallOptions.builder().limiter(one).build(), Fns::square, 3);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            caller.start();
            Eventually.within(Duration.ofSeconds(10), "the call waits for the permit", () -> one.waiting() == 1);
            caller.interrupt();
            caller.join(10_000);
            assertFalse(caller.isAlive());
            assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
            assertEquals("interrupted before dev.offload.Fns.square(int) reached a worker; it did not run",
                    thrown.get().getMessage());
            assertEquals(0, ctx.statistics().workersStarted());
        } finally {
            one.release();
        }
    }

    @Test
    void timeoutOnTheFutureKillsWorker() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            // A warm worker first: the 300 ms count from submission and must not be spent starting a JVM.
            assertEquals(4, ctx.runSync(Fns::square, 2));
            CompletableFuture<Integer> f = ctx.submit(Fns::touchThenSpin, marker()).orTimeout(300, TimeUnit.MILLISECONDS);
            long pid = busyWorkerPid();
            Throwable t = assertThrows(Exception.class, f::join);
            assertTrue(t.getCause() instanceof TimeoutException, String.valueOf(t));
            Eventually.within(Duration.ofSeconds(1), "timed-out worker is gone", () -> Eventually.gone(pid));
        }
    }

    @Test
    void completingTheFutureFromOutsideAbandonsTheCallAndCountsItCancelled() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(4, ctx.runSync(Fns::square, 2));
            CompletableFuture<Integer> f = ctx.submit(Fns::touchThenSpin, marker());
            long pid = busyWorkerPid();
            assertTrue(f.complete(42));
            assertEquals(42, f.join());
            Eventually.within(Duration.ofSeconds(1), "the abandoned call's worker is gone", () -> Eventually.gone(pid));
            Eventually.within(Duration.ofSeconds(5), "the call settles",
                    () -> ctx.statistics().runningWorkers() == 0);
            WorkerStatistics s = ctx.statistics();
            assertEquals(1, s.callsCompleted(), s.toString()); // square(2) only
            assertEquals(1, s.callsCancelled(), s.toString());
        }
    }

    @Test
    void withoutKillOnCancelTheCallFinishesAndItsResultIsDropped() throws Exception {
        CallOptions finish = CallOptions.builder().killOnCancel(false).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> f = ctx.submit(finish, Fns::touchThenSleep, marker(), 500);
            long pid = busyWorkerPid();
            assertTrue(f.cancel(true));
            assertThrows(CancellationException.class, f::join);
            assertFalse(Eventually.gone(pid), "the worker keeps running the call");
            Eventually.within(Duration.ofSeconds(5), "the call finishes and the worker returns",
                    () -> ctx.statistics().idleWorkers() == 1);
            assertEquals(pid, ctx.runSync(Fns::pid), "the worker is reused");
        }
    }

    @Test
    void interruptedRunSyncWithoutKillOnCancelWaitsForTheCall() throws Exception {
        CallOptions finish = CallOptions.builder().killOnCancel(false).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            String marker = marker();
            Thread caller = new Thread(() -> {
                try {
                    ctx.runSync(finish, Fns::touchThenSleep, marker, 500);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            caller.start();
            long pid = busyWorkerPid();
            caller.interrupt();
            caller.join(10_000);
            assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
            assertTrue(thrown.get().getMessage().endsWith(": it ran to completion and its result was dropped"),
                    thrown.get().getMessage());
            assertEquals(1, ctx.statistics().idleWorkers(), "the call ran to its end before runSync threw");
            assertFalse(Eventually.gone(pid));
        }
    }

    @Test
    void anInterruptedCallWithoutKillOnCancelThatTheCloseKillsSaysSo() throws Exception {
        CallOptions finish = CallOptions.builder().killOnCancel(false).build();
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofMillis(300)).build());
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        String marker = marker();
        Thread caller = new Thread(() -> {
            try {
                ctx.runSync(finish, Fns::touchThenSleep, marker, 60_000);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        busyWorkerPid();
        caller.interrupt(); // the call goes on: runSync waits for it
        try {
            Eventually.within(Duration.ofSeconds(10), "the interrupt cancelled the call",
                    () -> ctx.statistics().callsCancelled() == 1);
        } finally {
            assertThrows(BrokenWorkerException.class, ctx::close); // the grace period ends it: a forced kill
        }
        caller.join(10_000);
        assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
        assertTrue(thrown.get().getMessage().endsWith(": its worker was killed as the context closed"),
                thrown.get().getMessage());
    }

    @Test
    void callCancelledWhileWaitingForTheLimiterNeverTouchesAWorker() throws Exception {
        Limiter one = Limiter.create(1);
        CallOptions opts = CallOptions.builder().limiter(one).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> holder = ctx.submit(opts, Fns::touchThenSleep, marker(), 60_000);
            busyWorkerPid();
            CompletableFuture<Integer> waiting = ctx.submit(opts, Fns::square, 3);
            assertEquals(1, one.waiting());
            assertTrue(waiting.cancel(true));
            assertEquals(0, one.waiting());
            assertEquals(1, NoWorkerLeft.liveWorkers().size(), "no second worker was started");
            holder.cancel(true);
            Eventually.within(Duration.ofSeconds(2), "permit returned", () -> one.inUse() == 0);
        }
    }

    @Test
    void interruptWhileWaitingForTheLimiterLeavesTheQueue() throws Exception {
        Limiter one = Limiter.create(1);
        CallOptions opts = CallOptions.builder().limiter(one).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> holder = ctx.submit(opts, Fns::touchThenSleep, marker(), 60_000);
            busyWorkerPid();
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread caller = new Thread(() -> {
                started.countDown();
                try {
                    ctx.runSync(opts, Fns::square, 3);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            caller.start();
            started.await();
            Eventually.within(Duration.ofSeconds(2), "caller waits", () -> one.waiting() == 1);
            caller.interrupt();
            caller.join(1000);
            assertTrue(thrown.get() instanceof CancellationException, String.valueOf(thrown.get()));
            assertEquals(0, one.waiting());
            assertEquals(1, NoWorkerLeft.liveWorkers().size());
            holder.cancel(true);
        }
    }
}
