package dev.offload.examples.bench;

/**
 * The functions the benchmarks run, both in Offload's workers and in the harness's own bare child JVMs, so that
 * every comparison runs the same code.
 */
public final class BenchFns {
    private BenchFns() {}

    /** The trivial call: its cost is all transport. */
    public static int inc(int x) {
        return x + 1;
    }

    /** The worker's pid: which process ran the call. */
    public static long pid() {
        return ProcessHandle.current().pid();
    }

    /** Sends the bytes straight back: a payload round trip. */
    public static byte[] echo(byte[] bytes) {
        return bytes;
    }

    /** Sleeps (interruptibly, but Offload kills rather than interrupts): the call that gets cancelled. */
    public static long sleepMillis(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return millis;
    }

    /**
     * A CPU-bound loop of {@code iterations} steps of a 64-bit mixing function: no memory traffic, no allocation,
     * and a result that depends on every step, so the JIT cannot drop any of it.
     */
    public static long spin(long iterations) {
        long x = iterations;
        for (long i = 0; i < iterations; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            x ^= x >>> 29;
        }
        return x;
    }
}
