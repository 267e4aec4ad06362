package dev.offload.examples;

import dev.offload.WorkerContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** CPU-bound tasks one after another in this JVM, then in parallel in worker JVMs: the speedup. */
public final class ParallelSpeedup {
    private ParallelSpeedup() {}

    static final int TASKS = 4;
    static final int LIMIT = 2_500_000;

    public static void main(String[] args) {
        int workers = Runtime.getRuntime().availableProcessors();
        System.out.println("counting primes below " + LIMIT + ", " + TASKS + " times, on " + workers + " processors");

        long t0 = System.nanoTime();
        int expected = 0;
        for (int i = 0; i < TASKS; i++) {
            expected = Work.countPrimes(LIMIT);
        }
        long sequential = System.nanoTime() - t0;
        System.out.printf("  sequential, in this JVM:      %6d ms%n", sequential / 1_000_000);

        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(workers); // leave JVM start-up out of the comparison
            long t1 = System.nanoTime();
            List<CompletableFuture<Integer>> results = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                results.add(ctx.submit(Work::countPrimes, LIMIT));
            }
            for (CompletableFuture<Integer> r : results) {
                if (r.join() != expected) {
                    throw new AssertionError("a worker computed " + r.join() + ", expected " + expected);
                }
            }
            long parallel = System.nanoTime() - t1;
            System.out.printf("  parallel, in %d worker JVMs:   %6d ms  (%.2fx)%n", workers, parallel / 1_000_000,
                    (double) sequential / parallel);
        }
    }
}
