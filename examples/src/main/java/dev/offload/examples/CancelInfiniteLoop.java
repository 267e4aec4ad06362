package dev.offload.examples;

import dev.offload.WorkerContext;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stop code that never checks for interruption: a timeout on the future kills the worker process running it.
 * No thread could be stopped like this.
 */
public final class CancelInfiniteLoop {
    private CancelInfiniteLoop() {}

    public static void main(String[] args) throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            long worker = ctx.runSync(Work::pid);
            CompletableFuture<Long> loop = ctx.submit(Work::spinForever).orTimeout(500, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            try {
                loop.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (!(e.getCause() instanceof TimeoutException)) {
                    throw e;
                }
            }
            System.out.printf("an endless loop timed out after %d ms; its worker (pid %d) was killed: alive=%s%n",
                    (System.nanoTime() - t0) / 1_000_000, worker, awaitGone(worker) ? "no" : "yes");

            CompletableFuture<Long> again = ctx.submit(Work::spinForever);
            again.cancel(true);
            try {
                again.join();
            } catch (CancellationException expected) {
                System.out.println("Future.cancel(true) kills the same way; the context still works: fib(25) = "
                        + ctx.runSync(Work::fib, 25));
            }
        }
    }

    private static boolean awaitGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }
}
