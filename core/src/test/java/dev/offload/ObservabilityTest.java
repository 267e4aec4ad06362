package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.ChildJava;
import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Statistics, Flight Recorder events and log records for a context that runs a call, a kill and a crash. */
@ExtendWith(NoWorkerLeft.class)
class ObservabilityTest {
    @TempDir
    Path dir;

    /** What the scenario saw: the killed and the crashed worker. */
    private long killedPid;
    private long crashedPid;

    /**
     * One result, one cancelled call (on the same worker, killed), one crash (a new worker), one more result (a third
     * worker); then a graceful close retires that one.
     */
    private WorkerStatistics scenario() throws Exception {
        WorkerContext ctx = WorkerContext.open();
        try {
            assertEquals(9, ctx.runSync(Fns::square, 3));
            Path pidFile = dir.resolve("pid");
            CompletableFuture<Integer> hanging = ctx.submit(Fns::pidThenSleep, pidFile.toString(), 60_000);
            Eventually.within(Duration.ofSeconds(30), "the call to start", () -> Files.exists(pidFile));
            killedPid = Long.parseLong(Files.readString(pidFile));
            hanging.cancel(true);
            Eventually.within(Duration.ofSeconds(10), "the worker to be reaped",
                    () -> ctx.statistics().workersKilled() == 1);
            BrokenWorkerException crash = assertThrows(BrokenWorkerException.class, () -> ctx.runSync(Fns::exitWith, 3));
            crashedPid = crash.pid();
            assertEquals(16, ctx.runSync(Fns::square, 4)); // a third worker, idle until the close retires it
        } finally {
            ctx.close();
        }
        return ctx.statistics();
    }

    @Test
    void statisticsCountWorkersAndCalls() throws Exception {
        WorkerStatistics s = scenario();
        assertEquals(0, s.idleWorkers(), s.toString());
        assertEquals(0, s.runningWorkers(), s.toString());
        assertEquals(3, s.workersStarted(), s.toString());
        assertEquals(1, s.workersKilled(), s.toString());
        assertEquals(1, s.workersCrashed(), s.toString());
        assertEquals(1, s.workersRetired(), s.toString()); // the idle one, at close
        assertEquals(2, s.callsCompleted(), s.toString());
        assertEquals(1, s.callsFailed(), s.toString());
        assertEquals(1, s.callsCancelled(), s.toString());
    }

    @Test
    void flightRecorderEventsCarryTheRightFields() throws Exception {
        Path file = dir.resolve("offload.jfr");
        try (Recording r = new Recording()) {
            for (String e : List.of("WorkerStarted", "WorkerExited", "WorkerKilled", "Call")) {
                r.enable("dev.offload." + e).withoutThreshold();
            }
            r.start();
            scenario();
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        List<RecordedEvent> started = named(events, "dev.offload.WorkerStarted");
        assertEquals(3, started.size(), started.toString());
        for (RecordedEvent e : started) {
            assertTrue(e.getLong("pid") > 0);
            assertFalse(e.getDuration().isZero(), "start-up has a duration");
        }
        RecordedEvent killed = only(named(events, "dev.offload.WorkerKilled"));
        assertEquals(killedPid, killed.getLong("pid"));
        assertTrue(killed.getString("reason").contains("Fns.pidThenSleep") && killed.getString("reason")
                .contains("was cancelled"), killed.getString("reason"));
        List<RecordedEvent> exits = named(events, "dev.offload.WorkerExited");
        assertEquals(3, exits.size(), exits.toString());
        RecordedEvent killedExit = ofPid(exits, killedPid);
        assertTrue(killedExit.getBoolean("killed"));
        assertEquals("killed", killedExit.getString("cause"));
        RecordedEvent crashExit = ofPid(exits, crashedPid);
        assertFalse(crashExit.getBoolean("killed"));
        assertEquals(3, crashExit.getInt("exitCode"));
        assertEquals("crashed", crashExit.getString("cause"));
        assertTrue(crashExit.getDuration("uptime").toNanos() > 0);
        List<RecordedEvent> calls = named(events, "dev.offload.Call");
        assertEquals(List.of("result", "cancelled", "broken", "result"), calls.stream().map(e -> e.getString("outcome"))
                .collect(Collectors.toList()));
        RecordedEvent square = calls.get(0);
        assertTrue(square.getString("function").contains("Fns.square"), square.getString("function"));
        assertTrue(square.getLong("requestBytes") > 0 && square.getLong("replyBytes") > 0, square.toString());
        assertTrue(square.getLong("pid") > 0);
        assertEquals(killedPid, calls.get(1).getLong("pid"));
        assertEquals(crashedPid, calls.get(2).getLong("pid"));
    }

    @Test
    void aFreshJvmLoadsNoFlightRecorderUntilARecordingStartsAndThenGetsEvents() throws Exception {
        // On JDK 17 the first class extending jdk.jfr.Event to load sets up Flight Recorder (about 200 ms here).
        ChildJava.Result r = ChildJava.run("-Xlog:class+load:stdout", "-cp", System.getProperty("java.class.path"),
                FreshJvmCall.class.getName());
        String out = r.output;
        assertEquals(0, r.exitCode, out);
        List<String> lines = r.lines();
        int start = lines.indexOf("recording=start");
        assertTrue(lines.contains("square=144") && start > 0, out);
        List<String> early = lines.subList(0, start).stream()
                .filter(l -> l.contains("dev.offload.internal.events.") || l.contains("jdk.jfr.internal."))
                .collect(Collectors.toList());
        assertTrue(early.isEmpty(), () -> early.size() + " Flight Recorder classes loaded before any recording,"
                + " the first: " + early.subList(0, Math.min(3, early.size())));
        assertTrue(lines.contains("callEvents=1"), out);
    }

    @Test
    void lifecycleLogsAtDebugAndAnUnexpectedDeathAtWarning() throws Exception {
        Logger jul = Logger.getLogger("dev.offload");
        List<LogRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Level before = jul.getLevel();
        jul.setLevel(Level.ALL);
        jul.addHandler(h);
        try {
            scenario();
            // the retired worker's record comes from its reader thread, just after the close saw it gone
            Eventually.within(Duration.ofSeconds(5), "the clean exit's record", () -> messages(records, Level.FINE)
                    .stream().anyMatch(m -> m.matches("worker pid \\d+ exited \\(clean, exit code 0\\)")));
        } finally {
            jul.removeHandler(h);
            jul.setLevel(before);
        }
        List<String> warnings = messages(records, Level.WARNING);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("worker pid " + crashedPid + " exited with code 3 while running"),
                warnings.get(0));
        List<String> debug = messages(records, Level.FINE);
        assertTrue(debug.stream().anyMatch(m -> m.matches("worker pid \\d+ started in \\d+ ms")), debug.toString());
        assertTrue(debug.stream().anyMatch(m -> m.startsWith("killing worker pid " + killedPid + ": its call of")),
                debug.toString());
    }

    @Test
    void workersRecordOnlyWhileTheParentRecords() throws Exception {
        Path recordings = Files.createDirectory(dir.resolve("workers"));
        WorkerConfig config = WorkerConfig.builder().flightRecordings(recordings).build();
        try (WorkerContext quiet = WorkerContext.open(config)) {
            assertEquals(4, quiet.runSync(Fns::square, 2));
        }
        try (Stream<Path> files = Files.list(recordings)) {
            assertEquals(0, files.count(), "nothing records: workers must not either");
        }
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        try (Recording r = new Recording()) {
            r.enable("dev.offload.Call");
            r.start();
            java.io.PrintStream capture = new java.io.PrintStream(printed, true);
            System.setOut(capture);
            System.setErr(capture);
            try (WorkerContext ctx = WorkerContext.open(config)) {
                assertEquals(9, ctx.runSync(Fns::square, 3));
            }
            r.stop();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        assertEquals("", printed.toString(), "a recording worker prints nothing of its own");
        List<Path> files;
        try (Stream<Path> s = Files.list(recordings)) {
            files = s.collect(Collectors.toList());
        }
        assertEquals(1, files.size(), files.toString());
        assertTrue(files.get(0).getFileName().toString().matches("offload-worker-\\d+-\\d+\\.jfr"), files.toString());
        assertFalse(RecordingFile.readAllEvents(files.get(0)).isEmpty(), "the worker's recording has events");
    }

    private static List<String> messages(List<LogRecord> records, Level level) {
        synchronized (records) {
            return records.stream().filter(r -> r.getLevel().equals(level)).map(LogRecord::getMessage)
                    .collect(Collectors.toList());
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name))
                .sorted(java.util.Comparator.comparing(RecordedEvent::getStartTime)).collect(Collectors.toList());
    }

    private static RecordedEvent only(List<RecordedEvent> events) {
        assertEquals(1, events.size(), events.toString());
        return events.get(0);
    }

    private static RecordedEvent ofPid(List<RecordedEvent> events, long pid) {
        return only(events.stream().filter(e -> e.getLong("pid") == pid).collect(Collectors.toList()));
    }
}
