package dev.offload.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline, polling: never a bare sleep standing in for the condition. */
public final class Eventually {
    private Eventually() {}

    public static void within(Duration timeout, String what, BooleanSupplier condition) {
        within(timeout, (Object) what, condition);
    }

    /** As above; {@code what} is turned into text only if the condition does not hold in time. */
    public static void within(Duration timeout, Object what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout + ": " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /** Waits until {@code marker} exists: the function that creates it is running in a worker. */
    public static void running(java.nio.file.Path marker) {
        within(Duration.ofSeconds(30), "the call started and created " + marker,
                () -> java.nio.file.Files.exists(marker));
    }

    /**
     * Whether the process has ended. A zombie counts as ended: an orphaned worker is reparented to PID 1, and in
     * some containers PID 1 never reaps, so a dead worker stays a zombie that {@code ProcessHandle} calls alive.
     */
    public static boolean gone(long pid) {
        return ProcessHandle.of(pid).map(p -> !p.isAlive() || zombie(pid)).orElse(true);
    }

    /** State 'Z' in /proc/PID/stat (Linux); false where that cannot be read. */
    public static boolean zombie(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
