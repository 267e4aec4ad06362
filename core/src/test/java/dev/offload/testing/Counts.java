package dev.offload.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offload.WorkerStatistics;

/** Assertions on the current counts of a {@link WorkerStatistics}. */
public final class Counts {
    private Counts() {}

    public static void assertCounts(int idle, int running, WorkerStatistics s) {
        assertEquals(idle, s.idleWorkers(), s.toString());
        assertEquals(running, s.runningWorkers(), s.toString());
    }
}
