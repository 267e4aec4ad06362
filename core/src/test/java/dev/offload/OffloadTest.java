package dev.offload;

import static dev.offload.testing.Counts.assertCounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The static facade over the process-wide default context. */
@ExtendWith(NoWorkerLeft.class)
class OffloadTest {

    @AfterEach
    void closeDefaultContext() {
        Offload.defaultContext().close();
    }

    @Test
    void runsOnTheDefaultContext() throws Exception {
        assertEquals(25, Offload.runSync(Fns::square, 5));
        CompletableFuture<Long> f = Offload.submit(Fns::fib, 20);
        assertEquals(6765L, f.get());
        assertCounts(1, 0, Offload.defaultContextStatistics());
        assertSame(Offload.defaultContext(), Offload.defaultContext());
    }

    @Test
    void configuringAfterTheDefaultContextStartedFails() {
        Offload.runSync(Fns::hello);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Offload.configureDefaultContext(WorkerConfig.defaults()));
        assertTrue(e.getMessage().startsWith("the default worker context is already running"), e.getMessage());
    }

    @Test
    void closingTheDefaultContextStartsAFreshOneOnNextUse() {
        long before = Offload.runSync(Fns::pid);
        Offload.defaultContext().close();
        Offload.configureDefaultContext(WorkerConfig.builder().systemProperty("offload.flavour", "fresh").build());
        try {
            assertEquals("fresh", Offload.runSync(Fns::systemProperty, "offload.flavour"));
            assertNotEquals(before, Offload.runSync(Fns::pid));
        } finally {
            Offload.defaultContext().close();
            Offload.configureDefaultContext(WorkerConfig.defaults());
        }
    }

    @Test
    void callsRacingAClosedDefaultContextGoToTheNextOne() throws Exception {
        // Threads call while the default context is closed under them, again and again: a call the close caught
        // before it reached a worker did not run, and runs on the next default context instead of failing.
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.List<java.util.concurrent.Future<Integer>> callers = new java.util.ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                callers.add(threads.submit(() -> {
                    int calls = 0;
                    while (!stop.get()) {
                        assertEquals(calls * calls, Offload.runSync(Fns::square, calls));
                        calls++;
                    }
                    return calls;
                }));
            }
            for (int round = 0; round < 6; round++) {
                long until = System.nanoTime() + 150_000_000L;
                while (System.nanoTime() < until && callers.stream().noneMatch(java.util.concurrent.Future::isDone)) {
                    Thread.onSpinWait();
                }
                Offload.defaultContext().close();
            }
        } finally {
            stop.set(true);
            threads.shutdown();
        }
        for (java.util.concurrent.Future<Integer> f : callers) {
            assertTrue(f.get(30, java.util.concurrent.TimeUnit.SECONDS) > 0, "each thread made calls");
        }
    }

    @Test
    void aClosedContextExceptionTheFunctionItselfThrowsIsNotRetried() throws Exception {
        java.nio.file.Path runs = java.nio.file.Files.createTempFile("runs", ".log");
        try {
            Offload.defaultContext().prestart(1);
            CompletableFuture<Throwable> closing = new CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    Offload.runSync(Fns::appendThenThrowClosed, runs.toString());
                    closing.complete(null);
                } catch (Throwable t) {
                    closing.complete(t);
                }
            });
            caller.start();
            dev.offload.testing.Eventually.within(java.time.Duration.ofSeconds(10), "the call runs",
                    () -> java.nio.file.Files.exists(runs) && runs.toFile().length() > 0);
            WorkerContext running = Offload.defaultContext();
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> { // the call ends once the close began
                dev.offload.testing.Eventually.within(java.time.Duration.ofSeconds(10), "the close began",
                        running::isClosed);
                try {
                    java.nio.file.Files.createFile(java.nio.file.Path.of(runs + ".release"));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            running.close(); // lets the call finish: it throws, it is not cut short
            release.get(30, java.util.concurrent.TimeUnit.SECONDS);
            Throwable thrown = closing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, thrown, "the function's own exception");
            assertEquals("thrown by the function itself", thrown.getMessage());
            assertEquals(1, java.nio.file.Files.readAllLines(runs).size(), "it ran once");
        } finally {
            java.nio.file.Files.deleteIfExists(runs);
            java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(runs + ".release"));
        }
    }

    @Test
    void defaultLimiterHasOnePermitPerProcessor() {
        assertEquals(Runtime.getRuntime().availableProcessors(), Offload.defaultLimiter().capacity());
    }
}
