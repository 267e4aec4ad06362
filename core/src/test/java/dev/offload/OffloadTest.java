package dev.offload;

import static dev.offload.testing.Counts.assertCounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void defaultLimiterHasOnePermitPerProcessor() {
        assertEquals(Runtime.getRuntime().availableProcessors(), Offload.defaultLimiter().capacity());
    }
}
