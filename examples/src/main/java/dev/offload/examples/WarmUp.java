package dev.offload.examples;

import dev.offload.WorkerContext;

/** The first call pays for a JVM start; warm workers answer at pipe speed. prestart moves the cost up front. */
public final class WarmUp {
    private WarmUp() {}

    public static void main(String[] args) {
        try (WorkerContext ctx = WorkerContext.open()) {
            long t0 = System.nanoTime();
            ctx.runSync(Work::fib, 1);
            long cold = System.nanoTime() - t0;
            long t1 = System.nanoTime();
            ctx.runSync(Work::fib, 1);
            long warm = System.nanoTime() - t1;
            System.out.printf("cold call (starts a worker JVM): %.1f ms; warm call: %.3f ms%n", cold / 1e6, warm / 1e6);
        }
        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(2);
            long t = System.nanoTime();
            ctx.runSync(Work::fib, 1);
            System.out.printf("after prestart(2), %d idle workers; first call: %.3f ms%n",
                    ctx.statistics().idleWorkers(), (System.nanoTime() - t) / 1e6);
        }
    }
}
