package dev.offload.internal.child;

import java.time.Instant;
import java.util.Optional;

/**
 * Halts the worker within about {@link #PERIOD_MILLIS} ms once its parent is gone, even while a call is
 * running: the parent is identified by pid and start instant, so a recycled pid does not keep an orphan alive.
 */
final class ParentWatchdog implements Runnable {
    static final long PERIOD_MILLIS = 200;
    /** Exit status of a worker that halted because its parent died. */
    static final int EXIT_PARENT_GONE = 70;

    private final long parentPid;
    private final long parentStartMillis;
    /** Whether {@code /proc/self/stat} names the parent (decided at the first check). */
    private Boolean viaProc;

    private ParentWatchdog(long parentPid, long parentStartMillis) {
        this.parentPid = parentPid;
        this.parentStartMillis = parentStartMillis;
    }

    /**
     * Starts the watchdog thread, which runs {@code first} before it starts watching; a non-positive pid disables
     * it (a remote launcher has no local parent).
     *
     * @return whether the thread was started (and so runs {@code first})
     */
    static boolean start(long parentPid, long parentStartMillis, Runnable first) {
        if (parentPid <= 0) {
            return false;
        }
        ParentWatchdog w = new ParentWatchdog(parentPid, parentStartMillis);
        w.first = first;
        Thread t = new Thread(w, "offload-parent-watchdog");
        t.setDaemon(true);
        t.setPriority(Thread.MAX_PRIORITY);
        t.start();
        return true;
    }

    private Runnable first;

    @Override
    public void run() {
        if (first != null) {
            first.run();
        }
        do { // sleep first: the first check initialises ProcessHandle, which should not slow the worker's start
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        } while (parentAlive());
        Runtime.getRuntime().halt(EXIT_PARENT_GONE);
    }

    /** Our parent's pid from {@code /proc/self/stat} (Linux), or -1 where there is no such file. */
    private static long procParentPid() {
        try {
            String stat = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/self/stat")),
                    java.nio.charset.StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 3); // state, ppid, rest
            return Long.parseLong(fields[1]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Where {@code /proc} says the parent is our direct parent, its death shows as a new parent pid (the orphan is
     * re-parented): one small file read per check, no {@code ProcessHandle} machinery (which costs a fresh worker
     * some 40 ms of CPU and a thread pool). Otherwise (no {@code /proc}, or a launcher script in between) the pid
     * and start instant are checked through {@code ProcessHandle}.
     */
    private boolean parentAlive() {
        if (viaProc == null) {
            viaProc = procParentPid() == parentPid;
        }
        if (viaProc) {
            return procParentPid() == parentPid;
        }
        Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
        if (parent.isEmpty() || !parent.get().isAlive()) {
            return false;
        }
        if (parentStartMillis <= 0) {
            return true;
        }
        Optional<Instant> start = parent.get().info().startInstant();
        return start.isEmpty() || Math.abs(start.get().toEpochMilli() - parentStartMillis) < 1000;
    }
}
