package dev.offload.examples;

import dev.offload.BrokenWorkerException;
import dev.offload.WorkerContext;

/** A worker that dies (here: System.exit) fails only its own call; the next call gets a fresh worker. */
public final class CrashIsolation {
    private CrashIsolation() {}

    public static void main(String[] args) {
        try (WorkerContext ctx = WorkerContext.open()) {
            try {
                ctx.runSync(Work::crash, 42);
            } catch (BrokenWorkerException e) {
                System.out.println("caught BrokenWorkerException: worker pid " + e.pid() + " exited with code "
                        + e.exitCode().orElse(-1) + "; this JVM is fine");
            }
            System.out.println("the next call runs in a new worker: fib(25) = " + ctx.runSync(Work::fib, 25));
        }
    }
}
