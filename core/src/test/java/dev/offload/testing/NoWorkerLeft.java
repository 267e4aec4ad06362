package dev.offload.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test if a worker process outlives it: every descendant of this JVM running Offload's worker main,
 * plus any pid a test registered with {@link #watch(long)} (workers of a parent JVM a test started). Survivors
 * are killed so that one leak does not cascade into later tests.
 */
public final class NoWorkerLeft implements AfterEachCallback {
    private static final String WORKER_MAIN = "dev.offload.internal.child.WorkerMain";
    private static final Set<Long> WATCHED = ConcurrentHashMap.newKeySet();
    private static final Duration GRACE = Duration.ofSeconds(2);

    /** Also check this pid at teardown (a worker that is not our descendant). */
    public static void watch(long pid) {
        WATCHED.add(pid);
    }

    /** Live worker processes started (directly or not) by this JVM. */
    public static List<ProcessHandle> liveWorkers() {
        return ProcessHandle.current().descendants()
                .filter(p -> !Eventually.gone(p.pid()) && p.info().commandLine().map(c -> c.contains(WORKER_MAIN))
                        .orElse(false))
                .collect(Collectors.toList());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        long deadline = System.nanoTime() + GRACE.toNanos();
        List<ProcessHandle> left;
        for (;;) {
            left = liveWorkers();
            WATCHED.removeIf(Eventually::gone);
            if ((left.isEmpty() && WATCHED.isEmpty()) || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(20); // polling the process table; the deadline, not this pause, bounds the wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Long> leaked = left.stream().map(ProcessHandle::pid).collect(Collectors.toList());
        leaked.addAll(WATCHED);
        left.forEach(ProcessHandle::destroyForcibly);
        WATCHED.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        WATCHED.clear();
        if (!leaked.isEmpty()) {
            fail("worker processes outlived " + context.getDisplayName() + ": " + leaked);
        }
    }
}
