package dev.offload.examples.bench;

import dev.offload.WorkerContext;
import dev.offload.examples.Work;
import java.util.Arrays;

/**
 * Rough figures for the core runtime: cold start to first result, and the warm round trip of a trivial call.
 * Not the benchmark harness (that one measures baselines in the same run); a quick look.
 *
 * <p>Arguments: cold starts (default 10), warm calls (default 20000).
 */
public final class QuickTimings {
    private QuickTimings() {}

    public static void main(String[] args) {
        int colds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int warms = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;

        long[] cold = new long[colds];
        for (int i = 0; i < colds; i++) {
            try (WorkerContext ctx = WorkerContext.open()) {
                long t = System.nanoTime();
                ctx.runSync(Work::fib, 1);
                cold[i] = System.nanoTime() - t;
            }
        }
        long[] warm = new long[warms];
        try (WorkerContext ctx = WorkerContext.open()) {
            for (int i = 0; i < Math.min(warms, 5_000); i++) {
                ctx.runSync(Work::fib, 1); // warm-up of both JITs
            }
            for (int i = 0; i < warms; i++) {
                long t = System.nanoTime();
                ctx.runSync(Work::fib, 1);
                warm[i] = System.nanoTime() - t;
            }
        }
        System.out.printf("cold start to first result: median %.1f ms, min %.1f ms, max %.1f ms (%d starts)%n",
                pct(cold, 50) / 1e6, pct(cold, 0) / 1e6, pct(cold, 100) / 1e6, colds);
        System.out.printf("warm round trip fib(1): median %.1f us, p99 %.1f us, p99.9 %.1f us (%d calls)%n",
                pct(warm, 50) / 1e3, pct(warm, 99) / 1e3, pct(warm, 99.9) / 1e3, warms);
    }

    private static double pct(long[] xs, double p) {
        long[] s = xs.clone();
        Arrays.sort(s);
        int i = (int) Math.min(s.length - 1, Math.round(p / 100 * (s.length - 1)));
        return s[i];
    }
}
