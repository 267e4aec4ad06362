package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Soak and concurrency stress (run with {@code mvn -B verify -Pstress}): thousands of calls with random
 * cancellations, external SIGKILLs, exits and exceptions; every call must end in its expected outcome and the
 * parent must end where it began (no worker, no extra thread, no extra file descriptor).
 */
@Tag("stress")
@ExtendWith(NoWorkerLeft.class)
class StressTest {
    @TempDir
    Path dir;

    private static int openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.count();
        }
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    /** Offload's transient threads (pools idle out after 5 s; reader, pump and watcher threads end with workers). */
    private static long transientOffloadThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("offload-") && !t.getName().equals("offload-timer")
                        && !t.getName().equals("offload-interrupt-watch")) // one each per JVM, parked when unused
                .count();
    }

    enum Kind { VALUE, EXCEPTION, CANCEL, SIGKILL, EXIT }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void soakTenThousandCallsWithRandomFaults() throws Exception {
        // Warm the process-wide machinery (timer, interrupt watch, delivery pool, class loading) before taking the
        // baseline.
        try (WorkerContext warm = WorkerContext.open()) {
            warm.submit(Fns::square, 1).get();
            warm.runSync(Fns::square, 2);
        }
        Eventually.within(Duration.ofSeconds(90), "Offload threads idle out before the baseline",
                () -> transientOffloadThreads() == 0);
        int fdsBefore = openFds();
        int threadsBefore = threads();

        int calls = 10_000;
        Random random = new Random(42);
        Map<Kind, AtomicInteger> outcomes = new TreeMap<>();
        for (Kind k : Kind.values()) {
            outcomes.put(k, new AtomicInteger());
        }
        AtomicInteger unexpected = new AtomicInteger();
        List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try (WorkerContext ctx = WorkerContext.open()) {
            Limiter two = Limiter.create(2);
            CallOptions opts = CallOptions.builder().limiter(two).build();
            ExecutorService callers = Executors.newFixedThreadPool(8);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int roll = random.nextInt(1000);
                Kind kind = roll < 60 ? Kind.EXCEPTION : roll < 85 ? Kind.CANCEL : roll < 100 ? Kind.SIGKILL
                        : roll < 110 ? Kind.EXIT : Kind.VALUE;
                int n = i;
                long cancelAfterMicros = random.nextInt(20_000);
                done.add(callers.submit(() -> {
                    try {
                        boolean ok = runOne(ctx, opts, kind, n, cancelAfterMicros);
                        if (ok) {
                            outcomes.get(kind).incrementAndGet();
                        } else {
                            unexpected.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        unexpected.incrementAndGet();
                        problems.add(kind + " #" + n + ": " + t);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            callers.shutdown();
            assertTrue(callers.awaitTermination(1, TimeUnit.MINUTES));
            assertEquals(0, two.inUse());
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "no worker survives close()");
        Eventually.within(Duration.ofSeconds(90), "Offload threads idle out after the soak",
                () -> transientOffloadThreads() == 0);
        // The JDK's "process reaper" pool keeps idle threads for 60 s: wait for them too.
        Eventually.within(Duration.ofSeconds(90), "thread count back to the baseline", () -> threads() <= threadsBefore);
        int fdsAfter = openFds();
        int threadsAfter = threads();
        System.out.printf("SOAK java: %d calls in %d s, outcomes %s, unexpected %d, workers left %d, threads %d -> %d,"
                + " fds %d -> %d%n", calls, seconds, outcomes, unexpected.get(), NoWorkerLeft.liveWorkers().size(),
                threadsBefore, threadsAfter, fdsBefore, fdsAfter);
        if (!problems.isEmpty()) {
            fail(problems.size() + " calls ended unexpectedly, e.g. " + problems.subList(0, Math.min(5, problems.size())));
        }
        assertEquals(0, unexpected.get());
        assertTrue(threadsAfter <= threadsBefore, "threads back to the baseline: " + threadsBefore + " -> " + threadsAfter);
        assertEquals(fdsBefore, fdsAfter, "open file descriptors back to the baseline");
    }

    /** Runs one call of the given kind; true if it ended as that kind promises. */
    private boolean runOne(WorkerContext ctx, CallOptions opts, Kind kind, int n, long cancelAfterMicros)
            throws Exception {
        switch (kind) {
            case VALUE:
                return ctx.runSync(opts, Fns::square, n % 1000) == (n % 1000) * (n % 1000);
            case EXCEPTION:
                try {
                    ctx.runSync(opts, Fns::specialFailure, "n" + n);
                    return false;
                } catch (Fns.SpecialException e) {
                    return e.getMessage().equals("n" + n);
                }
            case CANCEL: {
                CompletableFuture<Integer> f = ctx.submit(opts, Fns::sleepMillis, 5 + n % 30);
                TimeUnit.MICROSECONDS.sleep(cancelAfterMicros); // a random moment: queued, starting, running or done
                f.cancel(true);
                try {
                    return f.get(60, TimeUnit.SECONDS) == 5 + n % 30; // finished before the cancel
                } catch (CancellationException e) {
                    return true;
                }
            }
            case SIGKILL: {
                Path pidFile = dir.resolve("pid-" + n);
                CompletableFuture<Integer> f = ctx.submit(opts, Fns::pidThenSleep, pidFile.toString(), 10_000);
                Eventually.within(Duration.ofSeconds(60), "call " + n + " running", () -> Files.exists(pidFile));
                long pid = Long.parseLong(Files.readString(pidFile));
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                try {
                    f.get(60, TimeUnit.SECONDS);
                    return false;
                } catch (ExecutionException e) {
                    return e.getCause() instanceof BrokenWorkerException
                            && "SIGKILL".equals(((BrokenWorkerException) e.getCause()).signal().orElse(""));
                }
            }
            case EXIT:
                try {
                    ctx.runSync(opts, Fns::exitWith, 7);
                    return false;
                } catch (BrokenWorkerException e) {
                    return e.exitCode().orElse(-1) == 7;
                }
            default:
                throw new IllegalStateException();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void thousandConcurrentCallsThroughALimiterOfTwoWithCancellations() throws Exception {
        Limiter two = Limiter.create(2);
        CallOptions opts = CallOptions.builder().limiter(two).build();
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicInteger maxRunning = new AtomicInteger();
        AtomicInteger maxPermits = new AtomicInteger();
        try (WorkerContext ctx = WorkerContext.open()) {
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    maxRunning.accumulateAndGet(ctx.statistics().runningWorkers(), Math::max);
                    maxPermits.accumulateAndGet(two.inUse(), Math::max);
                    Thread.onSpinWait();
                }
            });
            sampler.start();
            Random random = new Random(7);
            List<CompletableFuture<Integer>> futures = new ArrayList<>();
            List<Boolean> cancelled = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(ctx.submit(opts, Fns::square, i));
            }
            for (int i = 0; i < 1000; i++) {
                boolean cancel = random.nextInt(5) == 0;
                cancelled.add(cancel && futures.get(i).cancel(true));
            }
            for (int i = 0; i < 1000; i++) {
                if (cancelled.get(i)) {
                    assertTrue(futures.get(i).isCancelled());
                } else {
                    assertEquals(i * i, futures.get(i).get(60, TimeUnit.SECONDS));
                }
            }
            Eventually.within(Duration.ofSeconds(30), "all calls settle", () -> ctx.statistics().runningWorkers() == 0);
            sampling.set(false);
            sampler.join();
            assertTrue(maxRunning.get() <= 2, "running workers peaked at " + maxRunning.get());
            assertTrue(maxPermits.get() <= 2, "permits peaked at " + maxPermits.get());
            assertEquals(0, two.inUse());
            assertEquals(0, two.waiting());
            assertTrue(ctx.statistics().idleWorkers() <= 2, ctx.statistics().toString());
            System.out.printf("STRESS java: 1000 calls, %d cancelled, peak running %d%n",
                    cancelled.stream().filter(b -> b).count(), maxRunning.get());
        }
    }
}
