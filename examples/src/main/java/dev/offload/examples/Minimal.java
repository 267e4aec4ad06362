package dev.offload.examples;

import dev.offload.Offload;

/** The shortest use: run a static method in a worker JVM of the default context and get its result. */
public final class Minimal {
    private Minimal() {}

    public static void main(String[] args) {
        long n = Offload.runSync(Work::fib, 30);
        String greeting = Offload.runSync(Work::greet, "Offload");
        System.out.println("fib(30) = " + n + " computed in another JVM; " + greeting);
        System.out.println("this JVM is pid " + ProcessHandle.current().pid() + ", the worker was pid "
                + Offload.runSync(Work::pid));
    }
}
