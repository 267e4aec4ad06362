package dev.offload.examples.bench;

import dev.offload.Offload;

/**
 * A program's first Offload call in a fresh JVM: what a user sees the first time a program runs a function in a
 * worker, the parent's own start-up and class loading included. Prints the result and exits (the default context
 * closes at exit). The harness times it from {@code ProcessBuilder.start()} to the printed result.
 */
public final class FreshStart {
    private FreshStart() {}

    public static void main(String[] args) {
        System.out.println(Offload.runSync(BenchFns::inc, 1));
    }
}
