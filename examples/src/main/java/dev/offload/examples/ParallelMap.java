package dev.offload.examples;

import dev.offload.MapIterator;
import dev.offload.MapOptions;
import dev.offload.Outcome;
import dev.offload.WorkerContext;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * One function over many inputs: a lazy, ordered parallel map with a progress listener, then per-item outcomes
 * where one item hangs (timed out, its worker killed) and one crashes its worker; the others still complete.
 */
public final class ParallelMap {
    private ParallelMap() {}

    public static void main(String[] args) {
        List<Integer> limits = IntStream.range(0, 40).map(i -> 20_000 + 1_000 * i).boxed().collect(Collectors.toList());
        try (WorkerContext ctx = WorkerContext.open()) {
            MapOptions withProgress = MapOptions.builder()
                    .progress(p -> {
                        if (p.isFinal()) {
                            System.out.printf("progress: %d of %d done, %d failed, in %d ms%n", p.completed(),
                                    p.total().orElse(-1), p.failed(), p.elapsed().toMillis());
                        }
                    })
                    .build();
            List<Integer> counts = ctx.mapAll(Work::countPrimes, limits, withProgress);
            System.out.println("primes below 20000..59000: " + counts.subList(0, 3) + " ... " + counts.get(39));

            MapOptions tolerant = MapOptions.builder().concurrency(2).taskTimeout(Duration.ofSeconds(2)).build();
            try (MapIterator<Outcome<Integer, Long>> out = ctx.mapOutcomes(Work::riskyFib, List.of(20, -1, 21, 0, 22),
                    tolerant)) {
                out.forEachRemaining(o -> System.out.println("  item " + o.index() + " (" + o.input() + "): "
                        + (o.isSuccess() ? "fib = " + o.value() : "failed: " + o.failure().getClass().getSimpleName())));
            }
        }
    }
}
