package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The security promises of RELIABILITY.md: pipes only, no gadget deserialization, private short-lived files. */
@ExtendWith(NoWorkerLeft.class)
class SecurityTest {
    @TempDir
    Path dir;

    private static List<String> parentSockets() throws Exception {
        return Fns.socketFds();
    }

    @Test
    void noSocketIsOpenedByTheParentOrTheWorker() throws Exception {
        List<String> before = parentSockets();
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(List.of(), ctx.runSync(Fns::socketFds), "the worker has no network socket at all");
            assertEquals(before, parentSockets(), "running a worker opened no socket in the parent");
        }
    }

    @Test
    void theParentRefusesToDeserializeAClassOffTheAllowList() {
        // The worker is told it may send Opaque; the parent was not: the parent must refuse to deserialize it.
        WorkerConfig config = WorkerConfig.builder()
                .systemProperty("dev.offload.allowSerializable", "dev.offload.Fns$Opaque")
                .build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.runSync(Fns::opaque));
            assertTrue(e.getMessage().contains("dev.offload.Fns$Opaque; not on Offload's allow-list"), e.getMessage());
        }
    }

    @Test
    void argfilesAreOwnerOnlyAndRemovedOnceTheWorkerStarted() throws Exception {
        Path permissions = dir.resolve("argfile-permissions");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Set<Path> before = argfiles();
        Path spy = dir.resolve("java-spy");
        Files.writeString(spy, "#!/bin/sh\nstat -c %a \"${1#@}\" > '" + permissions + "'\nexec '" + java + "' \"$@\"\n");
        Files.setPosixFilePermissions(spy, PosixFilePermissions.fromString("rwx------"));
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().javaExecutable(spy).build())) {
            assertEquals(4, ctx.runSync(Fns::square, 2));
            assertEquals("600", Files.readString(permissions).trim(), "the argfile is readable by its owner only");
            long pid = ctx.runSync(Fns::pid);
            String argfile = ProcessHandle.of(pid).orElseThrow().info().arguments().orElseThrow()[0].substring(1);
            assertTrue(!Files.exists(Path.of(argfile)), "the argfile is removed once the worker has started: " + argfile);
        }
        // Other builds on this machine may be starting workers: only files that appeared during the test count, and
        // a worker starting right now removes its own within moments; a leaked file stays.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<Path> left;
        do {
            left = argfiles();
            left.removeAll(before);
        } while (!left.isEmpty() && System.nanoTime() < deadline && pause());
        assertEquals(Set.of(), left);
    }

    private static Set<Path> argfiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().startsWith("offload-worker-"))
                    .collect(Collectors.toCollection(HashSet::new));
        }
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(50); // polling a directory listing: no event to wait for
        return true;
    }

    @Test
    void theWorkersEnvironmentIsTheParentsUnlessConfigured() {
        String path = System.getenv("PATH");
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(path, ctx.runSync(Fns::env, "PATH"));
        }
        WorkerConfig changed = WorkerConfig.builder().environment("PATH", "/nowhere").environment("HOME", null).build();
        try (WorkerContext ctx = WorkerContext.open(changed)) {
            assertEquals("/nowhere", ctx.runSync(Fns::env, "PATH"));
            assertNull(ctx.runSync(Fns::env, "HOME"));
        }
    }
}
