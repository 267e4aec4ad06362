package example.app;

import dev.offload.WorkerConfig;
import dev.offload.WorkerContext;
import java.io.Serializable;
import java.time.Duration;

/** Runs two functions in a worker and prints what came back, one {@code key=value} a line. */
public final class Main {
    private Main() {}

    /** What a worker tells about itself. */
    public record Answer(String greeting, long pid) implements Serializable {}

    public static long square(long x) {
        return x * x;
    }

    public static Answer hello(String name) {
        return new Answer("hello " + name, ProcessHandle.current().pid());
    }

    public static void main(String[] args) throws Exception {
        WorkerConfig config = WorkerConfig.builder().idleTimeout(Duration.ofSeconds(30)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            System.out.println("square=" + ctx.runSync(Main::square, 12L));
            Answer a = ctx.runSync(Main::hello, "module");
            System.out.println("greeting=" + a.greeting());
            System.out.println("inWorker=" + (a.pid() != ProcessHandle.current().pid()));
            System.out.println("module=" + Main.class.getModule().getName());
            System.out.println("offloadModule=" + WorkerContext.class.getModule().getName());
        }
    }
}
