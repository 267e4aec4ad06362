package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.ChildJava;
import dev.offload.testing.NoWorkerLeft;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that a tool loads through a class loader of its own, as {@code mvn exec:java} does
 * ({@code src/test/loader-app}): neither it nor Offload is on {@code java.class.path}, and its calls still run in
 * workers.
 */
@ExtendWith(NoWorkerLeft.class)
class ClassLoaderAppTest {

    @Test
    void applicationLoadedWithOffloadByAToolsClassLoaderRunsFunctionsInWorkers(@TempDir Path tmp) throws Exception {
        List<String> lines = run(tmp, "one");
        assertTrue(lines.contains("square=144"), lines::toString);
        assertTrue(lines.contains("inWorker=true"), lines::toString);
        assertTrue(lines.contains("unknownLoader=ran"), lines::toString); // Offload's loader knows the application
    }

    @Test
    void applicationInAChildLoaderOfOffloadsRunsFunctionsInWorkersThroughTheContextLoader(@TempDir Path tmp)
            throws Exception {
        List<String> lines = run(tmp, "split");
        assertTrue(lines.contains("square=144"), lines::toString);
        assertTrue(lines.contains("inWorker=true"), lines::toString);
        assertTrue(lines.contains("unknownLoader=asks for extraClasspath"), lines::toString);
    }

    @Test
    void applicationOnALoaderThatHidesItsSourcesIsToldToUseExtraClasspath(@TempDir Path tmp) throws Exception {
        List<String> lines = run(tmp, "opaque");
        assertTrue(lines.contains("start=names extraClasspath"), lines::toString);
    }

    @Test
    void aSingleFileProgramIsToldWhyItsClassCannotReachAWorker(@TempDir Path tmp) throws Exception {
        // java Main.java compiles the program in memory: no worker can load it. Before the caller's frames were added
        // to a worker's exception, the source launcher failed on it with "IllegalArgumentException: 0 > -2".
        Path offload = Path.of(WorkerContext.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path main = tmp.resolve("Main.java");
        Files.writeString(main, "public class Main {\n"
                + "    public static long twice(int x) { return 2L * x; }\n"
                + "    public static void main(String[] args) { System.out.println(dev.offload.Offload.runSync(Main::twice, 2)); }\n"
                + "}\n");
        ChildJava.Result r = ChildJava.run("-cp", offload.toString(), main.toString());
        String out = r.output;
        assertEquals(1, r.exitCode, out);
        assertTrue(out.contains("class Main is not on the worker's classpath"), out);
        assertTrue(out.contains("at _OFFLOAD._WORKER_BOUNDARY(worker pid "), out);
        assertTrue(out.contains("at Main.main(Main.java:3)"), out);
    }

    private static List<String> run(Path tmp, String loaders) throws Exception {
        Path offload = Path.of(WorkerContext.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path launcher = compile(Path.of("src", "test", "loader-app", "launcher"), "", tmp.resolve("launcher"));
        Path app = compile(Path.of("src", "test", "loader-app", "app"), offload.toString(), tmp.resolve("app"));

        ChildJava.Result r = ChildJava.run("-cp", launcher.toString(), "launcher.Launch", loaders, offload.toString(),
                app.toString());
        assertEquals(0, r.exitCode, r.output);
        return r.lines();
    }

    private static Path compile(Path sources, String classpath, Path out) throws IOException {
        List<String> args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "-d", out.toString()));
        if (!classpath.isEmpty()) {
            args.addAll(List.of("-cp", classpath));
        }
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        assertEquals(0, rc, () -> sources + " did not compile: " + diagnostics);
        return out;
    }
}
