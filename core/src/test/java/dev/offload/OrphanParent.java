package dev.offload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * A parent JVM for {@link OrphanTest}: starts one idle worker and one busy in an infinite loop, prints their pids
 * on one line, then either waits to be killed ({@code wait}) or returns from main without closing anything
 * ({@code exit}). Or ({@code hook}) makes its first call from a shutdown hook, and prints its result (the worker's
 * pid) and its workers' pids.
 */
public final class OrphanParent {
    private OrphanParent() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        if (mode.equals("hook")) { // the first call of this JVM, from a shutdown hook: the default context opens then
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.out.println("hook result " + Offload.runSync(Fns::pid) + " " + ProcessHandle.current()
                        .children().map(p -> Long.toString(p.pid())).collect(Collectors.joining(" ")));
                System.out.flush();
            }));
            return;
        }
        Path marker = Path.of(args[1]);
        WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().gracePeriod(java.time.Duration.ofSeconds(1)).build());
        ctx.prestart(2);
        if (mode.equals("wait")) {
            ctx.submit(CallOptions.builder().limiter(Limiter.create(1)).build(), Fns::touchThenSpin, marker.toString());
            while (!Files.exists(marker)) {
                Thread.sleep(10);
            }
        } else if (mode.equals("blocked")) {
            ctx.submit(CallOptions.builder().limiter(Limiter.create(1)).build(), Fns::touchThenHugeResult,
                    marker.toString());
            while (!Files.exists(marker)) {
                Thread.sleep(10);
            }
        }
        String pids = ProcessHandle.current().children().map(p -> Long.toString(p.pid()))
                .collect(Collectors.joining(" "));
        System.out.println("workers " + pids);
        System.out.flush();
        if (!mode.equals("exit")) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
