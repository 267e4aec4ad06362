package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.ChildJava;
import dev.offload.testing.NoWorkerLeft;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A modular application ({@code src/test/modular-app}: {@code requires dev.offload}) compiled against this build's
 * {@code dev.offload} module and run with {@code java -p ... -m}: its calls run in workers, and no worker outlives it.
 */
@ExtendWith(NoWorkerLeft.class)
class ModularAppTest {

    @Test
    void modularApplicationOnTheModulePathRunsFunctionsInWorkers(@TempDir Path tmp) throws Exception {
        Path offload = Path.of(WorkerContext.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(offload.resolve("module-info.class")) || offload.toString().endsWith(".jar"),
                "dev.offload is not a module here: " + offload);
        Path classes = compileApp(offload, tmp.resolve("app"));

        ChildJava.Result r = ChildJava.run("-p", offload + File.pathSeparator + classes,
                "-m", "example.app/example.app.Main");
        String out = r.output;
        assertEquals(0, r.exitCode, out);
        List<String> lines = r.lines();
        assertTrue(lines.contains("square=144"), out);
        assertTrue(lines.contains("greeting=hello module"), out);
        assertTrue(lines.contains("inWorker=true"), out);
        assertTrue(lines.contains("module=example.app"), out);
        assertTrue(lines.contains("offloadModule=dev.offload"), out);
    }

    private static Path compileApp(Path offload, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> args = new ArrayList<>(List.of("-Xlint:all", "-Werror", "--module-path", offload.toString(),
                "-d", out.toString()));
        try (Stream<Path> sources = Files.walk(Path.of("src", "test", "modular-app"))) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
        }
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, args.toArray(String[]::new));
        assertEquals(0, rc, () -> "the modular application did not compile: " + diagnostics);
        return out;
    }
}
