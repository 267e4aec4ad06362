package dev.offload.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a parent's module path becomes class path entries of its workers. */
class ModulePathEntriesTest {

    @Test
    void emptyModulePathGivesNoEntries() {
        assertEquals(List.of(), ChildJvmLauncher.modulePathEntries(""));
    }

    @Test
    void jarsAndExplodedModulesStayAsTheyAreInOrder(@TempDir Path tmp) throws IOException {
        Path exploded = Files.createDirectories(tmp.resolve("exploded"));
        Files.createFile(exploded.resolve("module-info.class"));
        Path jar = Files.createFile(tmp.resolve("z.jar"));
        String modulePath = jar + File.pathSeparator + exploded;
        assertEquals(List.of(jar.toString(), exploded.toString()), ChildJvmLauncher.modulePathEntries(modulePath));
    }

    @Test
    void directoryOfModulesIsExpandedToItsJarsAndExplodedModulesSorted(@TempDir Path tmp) throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        Path b = Files.createFile(lib.resolve("b.jar"));
        Path a = Files.createFile(lib.resolve("a.jar"));
        Path module = Files.createDirectories(lib.resolve("m"));
        Files.createFile(module.resolve("module-info.class"));
        Files.createFile(lib.resolve("notes.txt"));
        Files.createDirectories(lib.resolve("plain-dir"));
        assertEquals(List.of(a.toString(), b.toString(), module.toString()),
                ChildJvmLauncher.modulePathEntries(lib.toString()));
    }
}
