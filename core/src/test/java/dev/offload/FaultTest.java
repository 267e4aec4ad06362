package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The fault catalogue (RELIABILITY.md): each fault, injected for real, and the behaviour promised for it. */
@ExtendWith(NoWorkerLeft.class)
class FaultTest {
    @TempDir
    Path dir;

    private static final class Counting extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    @Test
    void outOfMemoryIsABrokenWorkerAndTheWorkerIsReplaced() {
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().jvmOptions("-Xmx48m").build())) {
            long before = ctx.runSync(Fns::pid);
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::exhaustHeap));
            assertTrue(e.getMessage().contains("java.lang.OutOfMemoryError"), e.getMessage());
            assertEquals(before, e.pid());
            assertNotEquals(before, ctx.runSync(Fns::pid));
        }
    }

    @Test
    void stackOverflowIsAnOrdinaryExceptionAndTheWorkerIsReused() {
        try (WorkerContext ctx = WorkerContext.open()) {
            long before = ctx.runSync(Fns::pid);
            assertThrows(StackOverflowError.class, () -> ctx.runSync(Fns::recurseForever, 0));
            assertEquals(before, ctx.runSync(Fns::pid));
        }
    }

    @Test
    void aCallThatLeavesItsThreadInterruptedDoesNotFailTheNextCallOfItsWorker() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            assertTrue(ctx.runSync(Fns::leaveInterrupted), "the function saw its own interrupt");
            assertEquals(false, ctx.runSync(Fns::startsInterrupted), "the next call started interrupted");
            assertEquals(pid, ctx.runSync(Fns::pid));
            List<Integer> items = List.of(0, 1, 2, 3);
            MapOptions batches = MapOptions.builder().batchSize(4).concurrency(1).build();
            assertEquals(List.of(false, false, false, false), ctx.mapAll(Fns::interruptAfterAsking, items, batches),
                    "an item of a batch started interrupted");
        }
    }

    @Test
    void nativeCrashIsABrokenWorkerNamingTheSignal() {
        WorkerConfig config = WorkerConfig.builder()
                .jvmOptions("-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"), "-XX:-CreateCoredumpOnCrash")
                .build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::segfault));
            assertTrue(e.signal().isPresent(), e.getMessage());
            assertTrue(e.getMessage().contains("SIGSEGV"), "the JVM's crash report names the signal: " + e.getMessage());
            assertEquals(4, ctx.runSync(Fns::square, 2));
        }
    }

    @Test
    void hundredMegabytesToStdoutAndToStderrInOneCall() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Counting o = new Counting();
        Counting e = new Counting();
        try (WorkerContext ctx = WorkerContext.open()) {
            System.setOut(new PrintStream(o, false));
            System.setErr(new PrintStream(e, false));
            assertEquals(100, ctx.runSync(Fns::floodStdout, 100));
            assertEquals(100, ctx.runSync(Fns::floodStderr, 100));
            assertEquals(9, ctx.runSync(Fns::square, 3));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals(100L << 20, o.bytes);
        assertEquals(100L << 20, e.bytes);
    }

    @Test
    void functionClassMissingFromTheWorkersClasspathIsAClearErrorUntilAdded() throws Exception {
        Path src = dir.resolve("src/gen/Missing.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, "package gen; public class Missing { public static int twice(int x) { return 2 * x; }"
                + " public static dev.offload.Fn1<Integer, Integer, RuntimeException> ref() { return Missing::twice; } }");
        Path classes = Files.createDirectories(dir.resolve("classes"));
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc);
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] {classes.toUri().toURL()},
                getClass().getClassLoader())) {
            @SuppressWarnings("unchecked")
            Fn1<Integer, Integer, RuntimeException> ref = (Fn1<Integer, Integer, RuntimeException>)
                    loader.loadClass("gen.Missing").getMethod("ref").invoke(null);
            try (WorkerContext ctx = WorkerContext.open()) {
                long pid = ctx.runSync(Fns::pid);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.runSync(ref, 21));
                assertTrue(e.getMessage().startsWith("cannot resolve gen.Missing.twice(int) in the worker: class gen.Missing"
                        + " is not on the worker's classpath"), e.getMessage());
                assertEquals(pid, ctx.runSync(Fns::pid), "the worker stays usable");
            }
            try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().extraClasspath(classes).build())) {
                assertEquals(42, ctx.runSync(ref, 21));
            }
        }
    }

    @Test
    void workerThatNeverSendsItsHandshakeTimesOutWithItsStderr() throws Exception {
        Path fake = dir.resolve("fake-java");
        Files.writeString(fake, "#!/bin/sh\necho 'stuck before main' >&2\nexec sleep 60\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        WorkerConfig config = WorkerConfig.builder().javaExecutable(fake).startupTimeout(Duration.ofMillis(500)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().contains("did not complete its handshake within its startupTimeout of PT0.5S and "
                    + "was killed (raise it with WorkerConfig.builder().startupTimeout(...))"), e.getMessage());
            assertTrue(e.stderrTail().contains("stuck before main"), e.stderrTail());
        }
    }

    @Test
    void anInitStillRunningAtTheStartupTimeoutIsNamedWithTheTimeoutAsConfigured() {
        // Long enough for the JVM's own start on a loaded machine: the timeout must catch the init, not the start.
        WorkerConfig config = WorkerConfig.builder().init(Fns::hangingInit).startupTimeout(Duration.ofSeconds(5)).build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::square, 2));
            assertTrue(e.getMessage().contains("did not become ready (its init function was still running) within its "
                    + "startupTimeout of PT5S and was killed"), e.getMessage());
        }
    }

    @Test
    void jvmLoggingOptionsCannotReachTheFrameChannel() {
        PrintStream err = System.err;
        try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder()
                .jvmOptions("-verbose:gc", "-Xlog:safepoint", "-Xlog:gc*:stdout").build())) {
            System.setErr(new PrintStream(OutputStream.nullOutputStream()));
            assertEquals(25, ctx.runSync(Fns::square, 5));
        } finally {
            System.setErr(err);
        }
    }

    @Test
    void argumentTooLargeForASmallWorkerHeapFailsInsteadOfRespawningForever() {
        WorkerConfig config = WorkerConfig.builder().jvmOptions("-Xmx24m").build();
        try (WorkerContext ctx = WorkerContext.open(config)) {
            byte[] big = new byte[64 << 20];
            assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::length, big)));
            assertEquals(4, ctx.runSync(Fns::square, 2));
        }
    }

    @Test
    void grandchildHoldingStdoutDelaysNeitherTheFailureNorClose() throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        try {
            WorkerContext ctx = WorkerContext.open();
            long start = System.nanoTime();
            BrokenWorkerException e = assertThrows(BrokenWorkerException.class,
                    () -> ctx.runSync(Fns::exitLeavingGrandchild, pidFile.toString()));
            assertEquals(5, e.exitCode().orElseThrow());
            assertTimeoutPreemptively(Duration.ofSeconds(10), ctx::close);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        } finally {
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void callbackThatRunsAnotherCallDoesNotDeadlock() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            CompletableFuture<Integer> chained = ctx.submit(Fns::square, 3).thenApply(y -> ctx.runSync(Fns::square, y));
            assertEquals(81, chained.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingWhileCallsAreBeingDispatchedLosesNoCallAndLeavesNoWorker() throws Exception {
        for (int i = 0; i < 40; i++) {
            WorkerContext ctx = WorkerContext.open();
            Limiter own = Limiter.create(2);
            CompletableFuture<Integer> f = ctx.submit(CallOptions.builder().limiter(own).build(), Fns::square, i);
            ctx.close();
            try {
                assertEquals(i * i, f.get(30, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                assertInstanceOf(RuntimeException.class, e.getCause()); // closed before it started, or killed
            }
            assertEquals(0, own.inUse(), "the permit came back");
            assertTrue(NoWorkerLeft.liveWorkers().isEmpty(), "close returned with a worker alive");
        }
    }

    @Test
    void cancellingACallNeverKillsTheWorkerOfAnotherCall() throws Exception {
        Limiter one = Limiter.create(1);
        CallOptions opts = CallOptions.builder().limiter(one).build();
        try (WorkerContext ctx = WorkerContext.open()) {
            ctx.prestart(1);
            for (int i = 0; i < 30; i++) {
                CompletableFuture<Integer> first = ctx.submit(opts, Fns::square, i);
                CompletableFuture<Integer> second = ctx.submit(opts, Fns::square, i + 1);
                first.cancel(true);
                assertEquals((i + 1) * (i + 1), second.get(30, TimeUnit.SECONDS));
            }
        }
        assertEquals(List.of(), NoWorkerLeft.liveWorkers());
    }
}
