package dev.offload.examples;

import dev.offload.MapOptions;
import dev.offload.StatefulTask;
import dev.offload.WorkerContext;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A stateful map: each worker loads a "model" once (told its slot and its slot's device), every item uses it, and
 * the model is unloaded in the worker when the map ends. Two slots, so two workers, one per device.
 */
public final class StatefulModels {
    private StatefulModels() {}

    public static void main(String[] args) {
        StatefulTask<String, Work.PrimeModel, Integer, String> task = StatefulTask
                .of(Work::loadModel, Work::primesBelow, List.of("cpu:0", "cpu:1"))
                .onClose(Work::unloadModel);
        List<Integer> limits = IntStream.rangeClosed(1, 8).map(i -> i * 100_000).boxed().collect(Collectors.toList());
        try (WorkerContext ctx = WorkerContext.open()) {
            List<String> counts = ctx.mapAll(task, limits, MapOptions.DEFAULT);
            for (int i = 0; i < limits.size(); i++) {
                System.out.println("primes below " + limits.get(i) + ": " + counts.get(i));
            }
            System.out.println("workers back in the cache: " + ctx.statistics().idleWorkers());
        }
    }
}
