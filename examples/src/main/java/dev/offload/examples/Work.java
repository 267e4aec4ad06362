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
}
