package dev.offload.examples.bench;

/**
 * How much each benchmark does. {@link #fullRun()} is the real run (a few minutes on a 2-core machine);
 * {@link #smokeRun()} does a little of everything in a few seconds, to prove the harness works, and its figures mean
 * nothing.
 */
record Settings(
        boolean smoke,
        int handoffWarmup, int handoffCalls,
        int echoWarmup, int echoBlocks, int echoBlockCalls,
        int echoSettleCalls, long settleNanos, int quietRounds, long maxSettleNanos,
        int throughputReps, long throughputNanos,
        int bigBytes, int bigWarmup, int bigReps,
        int startWarmup, int startReps,
        double cpuTaskSeconds, int cpuReps,
        int cancelWarmup, int cancelReps,
        int mapItems, int mapReps) {

    static Settings fullRun() {
        return new Settings(false,
                20_000, 50_000,
                10_000, 5, 4_000,
                2_000, 50_000_000L, 3, 30_000_000_000L,
                10, 300_000_000L,
                64 << 20, 2, 8,
                2, 12,
                0.5, 5,
                2, 12,
                100_000, 3);
    }

    static Settings smokeRun() {
        return new Settings(true,
                200, 500,
                200, 2, 100,
                50, 5_000_000L, 1, 0L,
                2, 20_000_000L,
                1 << 20, 1, 2,
                0, 1,
                0.005, 1,
                0, 1,
                1_000, 1);
    }
}
