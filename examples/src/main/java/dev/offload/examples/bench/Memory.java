package dev.offload.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Resident memory of processes, from /proc/&lt;pid&gt;/smaps_rollup (Linux). */
final class Memory {
    private static final String WORKER_MAIN = "dev.offload.internal.child.WorkerMain";

    private Memory() {}

    /** Pids of the live Offload workers below this JVM. */
    static Set<Long> workerPids() {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains(WORKER_MAIN))
                .map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** The {@code Rss:} line of the process, in MiB, or NaN when it cannot be read. */
    static double rssMiB(long pid) {
        return field(pid, "Rss:");
    }

    /** The {@code Pss:} line (proportional set size: shared pages divided among their users), in MiB. */
    static double pssMiB(long pid) {
        return field(pid, "Pss:");
    }

    private static double field(long pid, String name) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"));
            for (String l : lines) {
                if (l.startsWith(name)) {
                    return Long.parseLong(l.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone
        }
        return Double.NaN;
    }
}
