package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls that come while workers are being prestarted take those workers as they come up, instead of starting more.
 * Workers here start through a wrapper that waits a second first, so that the calls surely come meanwhile.
 */
@ExtendWith(NoWorkerLeft.class)
class PrestartTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Path slowJava(String then) throws Exception {
        Path script = dir.resolve("slow-java");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Files.writeString(script, "#!/bin/sh\nsleep 1\n" + then.replace("JAVA", "'" + java + "'") + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void aCallDuringPrestartTakesAPrestartedWorkerInsteadOfStartingAnother() throws Exception {
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("exec JAVA \"$@\"")).prestart(2).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            assertEquals(9, ctx.runSync(Fns::square, 3));
            Eventually.within(WAIT, "both prestarted workers idle", () -> ctx.statistics().idleWorkers() == 2);
            assertEquals(2, ctx.statistics().workersStarted(), ctx.statistics().toString());
        }
    }

    @Test
    void prestartCountsTheStartsUnderWayAndWaitsForThem() throws Exception {
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("exec JAVA \"$@\"")).prestart(2).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            ctx.prestart(2); // the two of the configuration are under way: none more, but wait for them
            assertEquals(2, ctx.statistics().idleWorkers(), ctx.statistics().toString());
            Thread other = new Thread(() -> ctx.prestart(3));
            other.start();
            ctx.prestart(3); // one more between the two threads, not two
            other.join();
            assertEquals(3, ctx.statistics().idleWorkers(), ctx.statistics().toString());
            assertEquals(3, ctx.statistics().workersStarted(), ctx.statistics().toString());
        }
    }

    @Test
    void aWorkerStartedEarlyForAContextsFirstCallServesThatCall() throws Exception {
        // What the Kotlin front end does before it looks up a call's serializers.
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("exec JAVA \"$@\"")).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            dev.offload.internal.ContextCore core = dev.offload.internal.Secrets.core(ctx);
            assertTrue(core.startFirstWorkerEarly());
            assertFalse(core.startFirstWorkerEarly()); // one is starting: nothing more
            assertEquals(9, ctx.runSync(Fns::square, 3));
            assertFalse(core.startFirstWorkerEarly()); // one is idle: nothing more
            assertEquals(16, ctx.runSync(Fns::square, 4));
            WorkerStatistics s = ctx.statistics();
            assertEquals(1, s.workersStarted(), s.toString());
            assertEquals(1, s.idleWorkers(), s.toString());
        }
    }

    @Test
    void aWorkerStartedEarlyForACallThatWasThenRefusedExitsOnceItIsUp() throws Exception {
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("exec JAVA \"$@\"")).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            dev.offload.internal.ContextCore core = dev.offload.internal.Secrets.core(ctx);
            assertTrue(core.startFirstWorkerEarly());
            core.unwantEarlyStart(); // what the Kotlin front end does when it finds no serializer for the call
            Eventually.within(WAIT, "the unwanted worker started and exited",
                    () -> ctx.statistics().workersStarted() == 1 && NoWorkerLeft.liveWorkers().isEmpty());
            assertEquals(0, ctx.statistics().idleWorkers());
            assertEquals(4, ctx.runSync(Fns::square, 2)); // a later call starts its own
        }
    }

    @Test
    void aCallCancelledWhileItWaitsForAPrestartedWorkerLetsGoAtOnceAndTheWorkerStaysIdle() throws Exception {
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("exec JAVA \"$@\"")).prestart(1).build();
        Limiter limiter = Limiter.create(1);
        try (WorkerContext ctx = WorkerContext.open(config)) {
            CompletableFuture<Integer> f = ctx.submit(CallOptions.builder().limiter(limiter).build(), Fns::square, 4);
            Eventually.within(WAIT, "the call holds its permit", () -> limiter.inUse() == 1);
            assertTrue(f.cancel(true));
            assertThrows(CancellationException.class, f::join);
            Eventually.within(WAIT, "the permit is back", () -> limiter.inUse() == 0);
            Eventually.within(WAIT, "the prestarted worker idle", () -> ctx.statistics().idleWorkers() == 1);
            assertEquals(25, ctx.runSync(CallOptions.builder().limiter(limiter).build(), Fns::square, 5));
            WorkerStatistics s = ctx.statistics();
            assertEquals(1, s.workersStarted(), s.toString());
            assertEquals(0, s.workersKilled(), s.toString());
            assertEquals(1, s.callsCancelled(), s.toString());
        }
    }

    @Test
    void aCallWaitingForAPrestartThatFailsFailsWithTheStartsError() throws Exception {
        WorkerConfig config = WorkerConfig.builder().javaExecutable(slowJava("echo 'no JVM here' >&2; exit 3"))
                .prestart(1).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().contains("worker failed to start"), e.getMessage());
            assertTrue(e.getMessage().contains("no JVM here"), e.getMessage());
        }
    }

    @Test
    void anInterruptEndsThePrestartsWaitAndTheStartsGoOn() throws Exception {
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().init(Fns::hangingInit)
                .startupTimeout(Duration.ofSeconds(120)).gracePeriod(Duration.ofSeconds(60)).build());
        try {
            Thread waiter = Thread.currentThread();
            CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
                Eventually.within(WAIT, "a worker is starting", () -> !NoWorkerLeft.liveWorkers().isEmpty());
                waiter.interrupt();
            });
            long start = System.nanoTime();
            try {
                ctx.prestart(1); // its worker's init hangs for 60 s
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            } finally {
                Thread.interrupted();
            }
            interrupter.join();
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos(), "it did not wait for the start");
            assertEquals(1, NoWorkerLeft.liveWorkers().size(), "the start goes on");
        } finally {
            // The start, its init hanging, is cut short at once: no call wants it, and it is no failed shutdown.
            long start = System.nanoTime();
            ctx.close();
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(30).toNanos(), "no grace period for it");
        }
    }
}
