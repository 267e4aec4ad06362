package dev.offload.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.WorkerConfig;
import dev.offload.WorkerContext;
import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Idle timeouts cost one timer per context, not one per call, and still expire every idle worker. */
@ExtendWith(NoWorkerLeft.class)
class IdleTimerTest {
    @Test
    void thousandsOfCallsScheduleAtMostOneTimer() {
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().idleTimeout(Duration.ofMinutes(5)).build())) {
            ctx.runSync(Integer::bitCount, 1);
            int before = Timers.pending();
            for (int i = 0; i < 2000; i++) {
                assertEquals(Integer.bitCount(i), ctx.runSync(Integer::bitCount, i));
            }
            assertTrue(Timers.pending() - before <= 1, "timers grew from " + before + " to " + Timers.pending());
        }
    }

    @Test
    void workersThatGoIdleAtDifferentTimesAllExpire() throws Exception {
        WorkerConfig config = WorkerConfig.builder().idleTimeout(Duration.ofMillis(300)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            ctx.prestart(2);
            assertEquals(2, ctx.statistics().idleWorkers());
            Eventually.within(Duration.ofSeconds(10), "both idle workers to expire",
                    () -> ctx.statistics().idleWorkers() == 0 && NoWorkerLeft.liveWorkers().isEmpty());
            ctx.runSync(Integer::bitCount, 3); // a new worker, idle again afterwards: the timer re-arms
            Eventually.within(Duration.ofSeconds(10), "the next idle worker to expire",
                    () -> ctx.statistics().idleWorkers() == 0 && NoWorkerLeft.liveWorkers().isEmpty());
        }
    }
}
