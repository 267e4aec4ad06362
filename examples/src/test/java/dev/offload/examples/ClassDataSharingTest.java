package dev.offload.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker archive, end to end: a parent whose classpath is all jars (the core jar and a source-launched main)
 * trains the archive with its first worker, and its second context's worker starts from it.
 */
class ClassDataSharingTest {
    private static final String PROBE = String.join("\n",
            "import dev.offload.*;",
            "public class Probe {",
            "    public static void main(String[] args) throws Exception {",
            "        WorkerConfig config = WorkerConfig.builder().jvmOptions(\"-Xlog:class+load=info\").build();",
            "        for (int round = 0; round < 2; round++) {",
            "            int r = round;",
            "            try (WorkerContext ctx = WorkerContext.open(config)) {",
            "                System.out.println(\"round \" + round + \": \" + ctx.runSync(Integer::bitCount, 7));",
            "                ProcessHandle.current().descendants().forEach(p -> System.out.println(",
            "                        \"worker \" + r + \": \" + p.info().commandLine().orElse(\"\")));",
            "            }",
            "        }",
            "    }",
            "}",
            "");

    @TempDir
    Path dir;

    private static Path coreJar() throws IOException {
        try (Stream<Path> s = Files.list(Paths.get("..", "core", "target"))) {
            return s.filter(p -> p.getFileName().toString().matches("offload-core-[^-]+(-SNAPSHOT)?\\.jar"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("build core first: no core jar"))
                    .toAbsolutePath();
        }
    }

    @Test
    void theFirstWorkerTrainsTheArchiveAndLaterWorkersStartFromIt() throws Exception {
        Path probe = Files.writeString(dir.resolve("Probe.java"), PROBE);
        Path cache = Files.createDirectory(dir.resolve("cache"));
        ProcessBuilder pb = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", coreJar().toString(), probe.toString());
        pb.environment().put("OFFLOAD_CACHE_DIR", cache.toString());
        pb.redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe did not finish");
        String out = Files.readString(dir.resolve("out.txt"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err.txt"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out + err);
        assertTrue(out.contains("round 0: 3") && out.contains("round 1: 3"), out);

        List<Path> archives;
        try (Stream<Path> s = Files.list(cache.resolve("cds"))) {
            archives = s.collect(Collectors.toList());
        }
        assertEquals(1, archives.size(), "one archive, no leftover training file: " + archives);
        String archive = archives.get(0).toString();
        assertTrue(archive.matches(".*worker-[0-9a-f]{24}\\.(jsa|aot)"), archive);
        assertTrue(out.contains("worker 0: ") && out.lines().filter(l -> l.startsWith("worker 0: "))
                .allMatch(l -> l.contains("-XX:ArchiveClassesAtExit=" + archive + ".")
                        || l.contains("-XX:AOTCacheOutput=" + archive + ".")), out);
        assertTrue(out.lines().filter(l -> l.startsWith("worker 1: "))
                .allMatch(l -> l.contains("-XX:SharedArchiveFile=" + archive) || l.contains("-XX:AOTCache=" + archive)),
                out);
        // the second worker mapped Offload's worker classes from the archive instead of loading them from the jar
        assertTrue(err.lines().anyMatch(l -> l.contains("dev.offload.internal.child.WorkerLoop")
                && l.contains("shared objects file")), "no class came from the archive:\n" + tail(err));
    }

    private static String tail(String s) {
        return s.length() < 4000 ? s : s.substring(s.length() - 4000);
    }
}
