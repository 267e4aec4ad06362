package dev.offload.examples;

/** The README demo: speedup, killing an endless loop, surviving a crash. */
public final class Demo {
    private Demo() {}

    public static void main(String[] args) throws Exception {
        System.out.println("== 1. CPU-bound work in parallel worker JVMs");
        ParallelSpeedup.main(args);
        System.out.println();
        System.out.println("== 2. Cancelling code that never checks for interruption");
        CancelInfiniteLoop.main(args);
        System.out.println();
        System.out.println("== 3. A worker crash is an exception, not an outage");
        CrashIsolation.main(args);
        System.out.println();
        System.out.println("== 4. Print just works");
        Minimal.main(args);
    }
}
