package dev.offload;

/** Code that only workers run: WorkerCoverageTest checks that JaCoCo counts it as covered. Call it from no test. */
public final class CoveredOnlyInWorkers {
    private CoveredOnlyInWorkers() {}

    public static int collatzSteps(int n) {
        int steps = 0;
        for (long x = n; x != 1; steps++) {
            x = x % 2 == 0 ? x / 2 : 3 * x + 1;
        }
        return steps;
    }
}
