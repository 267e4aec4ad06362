package dev.offload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A program for {@link CloseTest}: submits a call that sleeps for a minute, waits until a worker runs it (the call
 * creates the marker file given as the argument), and returns from main, so the JVM exits with the call running.
 * Prints {@code running} once it is.
 */
public final class ExitWhileRunning {
    private ExitWhileRunning() {}

    public static void main(String[] args) throws Exception {
        Path marker = Path.of(args[0]);
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(Duration.ofMillis(500)).build());
        ctx.submit(Fns::touchThenSleep, marker.toString(), 60_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(marker) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        System.out.println("running");
    }
}
