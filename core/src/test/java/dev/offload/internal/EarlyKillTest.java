package dev.offload.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.WorkerContext;
import dev.offload.WorkerStatistics;
import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A cancel kills its call's worker before completing the future: the worker's exit, reported before the cancelling
 * thread gets on (as when it is descheduled right after the kill), must not complete the future first.
 */
@ExtendWith(NoWorkerLeft.class)
class EarlyKillTest {
    /** Sleeps, long enough for any test to cancel it. */
    public static int sleepLong(int millis) throws InterruptedException {
        Thread.sleep(millis);
        return millis;
    }

    @AfterEach
    void noHook() {
        ContextCore.afterEarlyKill = null;
    }

    @Test
    void aCancelStillWinsWhenTheKilledWorkersExitIsReportedFirst() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(1);
            CompletableFuture<Integer> f = ctx.submit(EarlyKillTest::sleepLong, 60_000);
            Eventually.within(Duration.ofSeconds(10), "the call runs", () -> ctx.statistics().runningWorkers() == 1);
            ContextCore.afterEarlyKill = () -> Eventually.within(Duration.ofSeconds(10), "the exit is reported",
                    () -> ctx.statistics().workersKilled() == 1);
            assertTrue(f.cancel(true), "the cancel completed the future");
            assertTrue(f.isCancelled());
            assertThrows(CancellationException.class, f::join);
            ((CallFuture<?>) f).settled().join();
            WorkerStatistics s = ctx.statistics();
            assertEquals(1, s.callsCancelled(), s.toString());
            assertEquals(0, s.callsFailed(), s.toString());
        }
    }
}
