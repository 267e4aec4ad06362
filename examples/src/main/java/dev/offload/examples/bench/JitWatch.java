package dev.offload.examples.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.stream.Stream;

/**
 * How busy the JIT compilers are, in this JVM and in child JVMs, so that a warm-up can last until they are done.
 *
 * <p>On a 2-processor machine the compilers compete with the measured threads: a probe on 2026-11-22 (one coroutine
 * calling a Kotlin function in a loop) showed this JVM's compilers still at work 2 s and 80,000 calls into the loop,
 * with the median call at 20-30 µs while they were, and 11-12 µs once they had stopped. A fixed number of warm-up
 * calls does not say when that is; the compilers' own activity does.
 */
final class JitWatch {
    private static final long TICK_MILLIS = 10; // USER_HZ on Linux
    private final CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();

    /** Milliseconds this JVM's compilers have spent so far (0 where the JVM does not say). */
    long parentMillis() {
        return compiler != null && compiler.isCompilationTimeMonitoringSupported()
                ? compiler.getTotalCompilationTime() : 0;
    }

    /** CPU milliseconds the compiler threads of these processes have used so far (Linux; 0 elsewhere). */
    static long childMillis(Collection<Long> pids) {
        long ticks = 0;
        for (long pid : pids) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                ticks += tasks.mapToLong(JitWatch::compilerTicks).sum();
            } catch (IOException | RuntimeException e) {
                // not Linux, or the process is gone
            }
        }
        return ticks * TICK_MILLIS;
    }

    private static long compilerTicks(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            if (!name.startsWith("C1 Compiler") && !name.startsWith("C2 Compiler")) {
                return 0;
            }
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A warm-up round: the measured work, done a little. */
    interface Round {
        void run() throws Exception;
    }

    /**
     * Runs {@code round} until neither this JVM's compilers nor those of {@code children} (read again each round)
     * have worked during {@code quietRounds} rounds in a row, or until {@code maxNanos} have passed; returns the
     * number of rounds run.
     */
    int settle(Round round, java.util.function.Supplier<Collection<Long>> children, int quietRounds, long maxNanos)
            throws Exception {
        long deadline = System.nanoTime() + maxNanos;
        int rounds = 0;
        int quiet = 0;
        while (quiet < quietRounds) {
            long parent = parentMillis();
            long child = childMillis(children.get());
            round.run();
            rounds++;
            boolean idle = parentMillis() == parent && childMillis(children.get()) == child;
            quiet = idle ? quiet + 1 : 0;
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        return rounds;
    }
}
