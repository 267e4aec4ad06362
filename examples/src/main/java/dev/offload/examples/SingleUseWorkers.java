package dev.offload.examples;

import dev.offload.WorkerConfig;
import dev.offload.WorkerContext;

/** retire = "true after each call": every call gets a pristine JVM (no leftover static state). */
public final class SingleUseWorkers {
    private SingleUseWorkers() {}

    public static void main(String[] args) {
        WorkerConfig singleUse = WorkerConfig.builder().retire(Work::singleUse).build();
        try (WorkerContext ctx = WorkerContext.open(singleUse)) {
            for (int i = 0; i < 3; i++) {
                System.out.println("call " + i + " ran in worker pid " + ctx.runSync(Work::pid));
            }
        }
    }
}
