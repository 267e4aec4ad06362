package dev.offload.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs a program in a child JVM of this JDK, as a user would start it ({@code java <args>}), and waits until it and
 * every worker it started have exited.
 */
public final class ChildJava {
    private ChildJava() {}

    /** What the program printed (stdout and stderr together) and its exit code. */
    public static final class Result {
        public final int exitCode;
        public final String output;

        Result(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }

        public List<String> lines() {
            return output.lines().collect(Collectors.toList());
        }
    }

    /** Runs {@code java <args>} with stdin closed and stderr merged into stdout. */
    public static Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the program did not exit: " + out);
        Eventually.within(Duration.ofSeconds(5), "the program's workers exited",
                () -> NoWorkerLeft.liveWorkers().isEmpty());
        return new Result(p.exitValue(), out);
    }
}
