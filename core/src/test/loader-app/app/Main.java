package app;

import dev.offload.BrokenWorkerException;
import dev.offload.WorkerContext;

/** Runs a function in a worker while loaded by a class loader of a tool's; prints {@code key=value} lines. */
public final class Main {
    private Main() {}

    public static long square(long x) {
        return x * x;
    }

    public static long pid() {
        return ProcessHandle.current().pid();
    }

    public static void main(String[] args) throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            System.out.println("square=" + ctx.runSync(Main::square, 12L));
            System.out.println("inWorker=" + (ctx.runSync(Main::pid) != ProcessHandle.current().pid()));
        } catch (BrokenWorkerException e) { // no worker can start: Offload's own classes are out of its reach
            System.out.println("start=" + (e.getMessage().contains("lacks Offload's own classes")
                    && e.getMessage().contains("extraClasspath") ? "names extraClasspath" : e.getMessage()));
            return;
        }
        // A context opened where the context class loader does not know the application: Offload's own classes
        // reach the worker; the application's do when Offload's loader knows them, else they need extraClasspath.
        Thread.currentThread().setContextClassLoader(ClassLoader.getSystemClassLoader());
        try (WorkerContext ctx = WorkerContext.open()) {
            try {
                ctx.runSync(Main::square, 3L);
                System.out.println("unknownLoader=ran");
            } catch (IllegalStateException e) {
                String m = e.getMessage();
                System.out.println("unknownLoader=" + (m.contains("extraClasspath") ? "asks for extraClasspath" : m));
            }
        }
    }
}
