package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.offload.testing.NoWorkerLeft;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;
import org.jacoco.core.analysis.Analyzer;
import org.jacoco.core.analysis.CoverageBuilder;
import org.jacoco.core.analysis.IClassCoverage;
import org.jacoco.core.analysis.ICounter;
import org.jacoco.core.analysis.IMethodCoverage;
import org.jacoco.core.data.ExecutionDataReader;
import org.jacoco.core.data.ExecutionDataStore;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Coverage through workers: with this JVM under the JaCoCo agent (the build's {@code prepare-agent}), workers
 * inherit the agent and append their coverage to the same execution data when they exit.
 */
@ExtendWith(NoWorkerLeft.class)
class WorkerCoverageTest {
    private static final String CLASS = CoveredOnlyInWorkers.class.getName().replace('.', '/');
    private static final String WORKER_MAIN = "dev/offload/internal/child/WorkerMain";

    @Test
    void methodRunOnlyInWorkersIsCoveredInTheExecutionData() throws Exception {
        Path execFile = jacocoDestfile().orElse(null);
        if (execFile == null) {
            if ("false".equals(System.getProperty("offload.jacocoSkip"))) {
                fail("the build runs tests under the JaCoCo agent, but this JVM has none: " + inputArguments());
            }
            Assumptions.abort("not running under the JaCoCo agent");
        }
        long since = System.currentTimeMillis();
        // JACOCO is the default, but the build may turn it off for speed (dev.offload.inheritAgents): ask for it.
        WorkerConfig config = WorkerConfig.builder().inheritAgents(AgentInheritance.JACOCO).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            assertEquals(111, ctx.runSync(CoveredOnlyInWorkers::collatzSteps, 27));
            assertEquals(0, ctx.runSync(CoveredOnlyInWorkers::collatzSteps, 1));
        } // close() returns once the worker has exited, and so has written its coverage

        IMethodCoverage method = method(coverageSince(execFile, since, CLASS), "collatzSteps");
        String why = "collatzSteps ran (both ways through its loop) only in a worker started after " + since;
        assertEquals(ICounter.FULLY_COVERED, method.getInstructionCounter().getStatus(),
                why + "; instructions " + method.getInstructionCounter());
        assertEquals(0, method.getBranchCounter().getMissedCount(), why + "; branches " + method.getBranchCounter());

        // The same holds for Offload's own code that only workers run: it shows as covered in the module's report.
        IMethodCoverage workerMain = method(coverageSince(execFile, since, WORKER_MAIN), "main");
        assertTrue(workerMain.getInstructionCounter().getCoveredCount() > 0, "WorkerMain.main: " + workerMain
                .getInstructionCounter());
    }

    @Test
    void workersWithoutInheritedAgentsRecordNothing() throws Exception {
        Path execFile = jacocoDestfile().orElse(null);
        Assumptions.assumeTrue(execFile != null, "not running under the JaCoCo agent");
        long since = System.currentTimeMillis();
        WorkerConfig config = WorkerConfig.builder().inheritAgents(AgentInheritance.NONE).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            assertEquals(111, ctx.runSync(CoveredOnlyInWorkers::collatzSteps, 27));
        }
        IClassCoverage coverage = coverageSince(execFile, since, CLASS);
        assertEquals(0, coverage.getInstructionCounter().getCoveredCount(), "a worker without the agent wrote data");
    }

    private static IMethodCoverage method(IClassCoverage c, String name) {
        return c.getMethods().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The coverage of class {@code vmName} from the sessions (JVMs) that started at or after {@code since}. */
    private static IClassCoverage coverageSince(Path execFile, long since, String vmName) throws IOException {
        ExecutionDataStore store = new ExecutionDataStore();
        boolean[] recent = {false};
        try (FileChannel channel = FileChannel.open(execFile, StandardOpenOption.READ);
                InputStream in = Channels.newInputStream(channel);
                FileLock lock = channel.lock(0, Long.MAX_VALUE, true)) { // workers write under an exclusive lock
            ExecutionDataReader reader = new ExecutionDataReader(in);
            reader.setSessionInfoVisitor(info -> recent[0] = info.getStartTimeStamp() >= since);
            reader.setExecutionDataVisitor(data -> {
                if (recent[0]) {
                    store.visitClassExecution(data);
                }
            });
            reader.read();
            assertTrue(lock.isValid());
        }
        CoverageBuilder coverage = new CoverageBuilder();
        try (InputStream classFile = ClassLoader.getSystemResourceAsStream(vmName + ".class")) {
            new Analyzer(store, coverage).analyzeClass(classFile, vmName);
        }
        return coverage.getClasses().stream().filter(c -> c.getName().equals(vmName)).findFirst().orElseThrow();
    }

    /** The execution data file of this JVM's JaCoCo agent ({@code destfile}, default {@code jacoco.exec}). */
    private static Optional<Path> jacocoDestfile() {
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-javaagent:") && option.contains("jacoco")) {
                int start = option.indexOf(".jar=");
                String settings = start < 0 ? "" : option.substring(start + ".jar=".length());
                return Optional.of(Path.of(Arrays.stream(settings.split(","))
                        .filter(s -> s.startsWith("destfile="))
                        .map(s -> s.substring("destfile=".length()))
                        .findFirst().orElse("jacoco.exec")));
            }
        }
        return Optional.empty();
    }

    private static String inputArguments() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().toString();
    }
}
