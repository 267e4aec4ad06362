package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** No orphans: workers die with their parent, however the parent ends. */
@ExtendWith(NoWorkerLeft.class)
class OrphanTest {
    @TempDir
    Path dir;

    private Process startParent(String mode) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OrphanParent.class.getName(),
                mode, dir.resolve("busy").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static List<Long> readWorkerPids(Process parent) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(parent.getInputStream()));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith("workers ")) {
                List<Long> pids = new ArrayList<>();
                for (String p : line.substring(8).trim().split(" ")) {
                    pids.add(Long.parseLong(p));
                    NoWorkerLeft.watch(Long.parseLong(p));
                }
                return pids;
            }
        }
        throw new AssertionError("parent ended without listing its workers, exit " + parent.waitFor());
    }

    @Test
    void workersDieWithinTwoSecondsOfTheirParentsSigkill() throws Exception {
        killParentAndWatchWorkers("wait");
    }

    @Test
    void workerBlockedWritingALargeResultDiesWithItsParent() throws Exception {
        killParentAndWatchWorkers("blocked");
    }

    private void killParentAndWatchWorkers(String mode) throws Exception {
        Process parent = startParent(mode);
        try {
            List<Long> workers = readWorkerPids(parent);
            assertEquals(2, workers.size(), "one idle worker and one busy: " + workers);
            parent.destroyForcibly();
            assertTrue(parent.waitFor(5, TimeUnit.SECONDS));
            for (long pid : workers) {
                Eventually.within(Duration.ofSeconds(2), lazy("orphaned worker " + pid + " exits", pid),
                        () -> Eventually.gone(pid));
            }
        } finally {
            parent.destroyForcibly();
        }
    }

    /** A failure message with the process's state and thread dump, computed only if it is shown. */
    private static Object lazy(String what, long pid) {
        return new Object() {
            @Override
            public String toString() {
                try {
                    String status = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/status"));
                    Process jstack = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack")
                            .toString(), Long.toString(pid)).redirectErrorStream(true).start();
                    return what + "\n" + status + "\n" + new String(jstack.getInputStream().readAllBytes());
                } catch (Exception e) {
                    return what + " (" + e + ")";
                }
            }
        };
    }

    @Test
    void shutdownHookLeavesNoWorkerWhenMainReturnsWithoutClosing() throws Exception {
        Process parent = startParent("exit");
        try {
            List<Long> workers = readWorkerPids(parent);
            assertEquals(2, workers.size());
            assertTrue(parent.waitFor(30, TimeUnit.SECONDS), "the parent exits");
            assertEquals(0, parent.exitValue());
            for (long pid : workers) {
                assertTrue(Eventually.gone(pid), "worker " + pid + " was closed by the shutdown hook");
            }
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void aShutdownHookCanStillCallAndItsWorkerExitsWithTheJvm() throws Exception {
        Process parent = startParent("hook");
        try {
            String out = new String(parent.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(parent.waitFor(30, TimeUnit.SECONDS), "the parent exits");
            assertTrue(out.startsWith("hook result "), "the hook's call ran: " + out);
            String[] pids = out.trim().substring("hook result ".length()).split(" ");
            assertTrue(pids.length >= 2, "the worker's pid, then the parent's workers: " + out);
            for (String pid : pids) {
                NoWorkerLeft.watch(Long.parseLong(pid));
                Eventually.within(Duration.ofSeconds(5), lazy("worker " + pid + " exits with its parent",
                        Long.parseLong(pid)), () -> Eventually.gone(Long.parseLong(pid)));
            }
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void workersIgnoreSigint() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            String status = java.nio.file.Files.readString(Path.of("/proc/" + pid + "/status"));
            String sigIgn = status.lines().filter(l -> l.startsWith("SigIgn:")).findFirst().orElseThrow();
            long mask = Long.parseLong(sigIgn.substring(7).trim(), 16);
            assertTrue((mask & (1L << (2 - 1))) != 0, "SIGINT is in the worker's ignored set: " + sigIgn);
            new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor();
            assertEquals(pid, ctx.runSync(Fns::pid), "the same worker still serves calls after SIGINT");
        }
    }

}
