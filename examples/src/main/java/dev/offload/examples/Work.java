package dev.offload.examples;

/** The functions the examples run in workers: plain static methods, nothing Offload-specific. */
public final class Work {
    private Work() {}

    /** Deliberately slow Fibonacci: pure CPU. */
    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /** Counts primes below {@code limit} by trial division: pure CPU, and a knob for how long it runs. */
    public static int countPrimes(int limit) {
        int count = 0;
        for (int n = 2; n < limit; n++) {
            boolean prime = true;
            for (int d = 2; (long) d * d <= n; d++) {
                if (n % d == 0) {
                    prime = false;
                    break;
                }
            }
            if (prime) {
                count++;
            }
        }
        return count;
    }

    /** Never returns and never checks for interruption: only killing the process stops it. */
    public static long spinForever() {
        long x = 0;
        while (x != -1) {
            x = (x * 6364136223846793005L + 1442695040888963407L) | 1;
        }
        return x;
    }

    /** Ends the worker JVM, as buggy native code or a stray System.exit in a library would. */
    public static int crash(int exitCode) {
        System.exit(exitCode);
        return 0;
    }

    /** fib(n), except that -1 never returns and 0 crashes the worker JVM: a map must survive both. */
    public static long riskyFib(int n) {
        if (n == -1) {
            spinForever();
        }
        if (n == 0) {
            Runtime.getRuntime().halt(3);
        }
        return fib(n);
    }

    public static long pid() {
        return ProcessHandle.current().pid();
    }

    /** A retire policy: every worker runs exactly one call. */
    public static Boolean singleUse() {
        return true;
    }

    public static String greet(String name) {
        System.out.println("  (printed inside worker pid " + ProcessHandle.current().pid() + ")");
        return "hello, " + name;
    }

    /** Something expensive to build once per worker: here a prime sieve, standing in for a model on a device. */
    public static final class PrimeModel {
        final String device;
        final boolean[] composite;
        int served;

        PrimeModel(String device, int size) {
            this.device = device;
            this.composite = new boolean[size];
            for (int i = 2; (long) i * i < size; i++) {
                if (!composite[i]) {
                    for (int j = i * i; j < size; j += i) {
                        composite[j] = true;
                    }
                }
            }
        }
    }

    /** Stateful-map init: runs once per worker, told its slot and its slot's device. */
    public static PrimeModel loadModel(int slot, String device) {
        return new PrimeModel(device, 2_000_000);
    }

    /** Stateful-map apply: uses the worker's model. */
    public static String primesBelow(PrimeModel model, Integer limit) {
        model.served++;
        int count = 0;
        for (int i = 2; i < limit; i++) {
            if (!model.composite[i]) {
                count++;
            }
        }
        return count + " (on " + model.device + ")";
    }

    /** Stateful-map close: runs in the worker when the map ends. */
    public static void unloadModel(PrimeModel model) {
        System.out.println("unloaded the model on " + model.device + " after " + model.served + " items");
    }
}
