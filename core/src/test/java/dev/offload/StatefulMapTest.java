package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stateful maps: state per slot, created once per worker, closed at the end, recreated in a replacement. */
@ExtendWith(NoWorkerLeft.class)
class StatefulMapTest {
    private WorkerContext ctx;
    @TempDir
    Path dir;

    @BeforeEach
    void open() {
        ctx = WorkerContext.open();
        SlotFns.INITS.clear();
    }

    @AfterEach
    void close() {
        ctx.close();
    }

    /** One result of SlotFns.apply, parsed. */
    private static final class Row {
        final int slot;
        final String argument;
        final long pid;
        final int initsInJvm;
        final String thread;
        final int square;

        Row(String s) {
            String[] f = s.split("\\|");
            slot = Integer.parseInt(f[0]);
            argument = f[1];
            pid = Long.parseLong(f[2]);
            initsInJvm = Integer.parseInt(f[3]);
            thread = f[4];
            square = Integer.parseInt(f[6]);
        }
    }

    private List<String> slotFiles(int n) {
        return IntStream.range(0, n).mapToObj(i -> dir.resolve("slot" + i).toString()).collect(Collectors.toList());
    }

    private static List<Row> rows(List<String> results) {
        return results.stream().map(Row::new).collect(Collectors.toList());
    }

    @Test
    void initRunsOncePerWorkerWithItsSlotArgumentAndCloseRunsAtTheEnd() throws IOException {
        List<String> args = slotFiles(3);
        StatefulTask<String, SlotFns.State, Integer, String> task =
                StatefulTask.of(SlotFns::open, SlotFns::apply, args).onClose(SlotFns::close);
        List<Integer> input = IntStream.range(0, 60).boxed().collect(Collectors.toList());

        List<Row> rows = rows(ctx.mapAll(task, input, MapOptions.DEFAULT));

        assertEquals(60, rows.size());
        Map<Long, Integer> slotOfPid = new HashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            assertEquals(i * i, r.square, "ordered results");
            assertTrue(r.slot >= 0 && r.slot < 3, "slot " + r.slot);
            assertEquals(args.get(r.slot), r.argument, "slot " + r.slot + " got another slot's argument");
            assertEquals(1, r.initsInJvm, "init ran more than once in worker " + r.pid);
            Integer before = slotOfPid.put(r.pid, r.slot);
            assertTrue(before == null || before == r.slot, "worker " + r.pid + " served two slots");
        }
        // close ran in each worker that held a state, before mapAll returned; the workers went back to the cache
        for (int slot : rows.stream().map(r -> r.slot).collect(Collectors.toSet())) {
            List<String> closed = Files.readAllLines(Path.of(args.get(slot)));
            assertEquals(1, closed.size(), "slot " + slot + " closed " + closed);
            long pid = Long.parseLong(closed.get(0).split(" ")[1]);
            assertEquals(slot, slotOfPid.get(pid));
        }
        assertEquals(slotOfPid.size(), ctx.statistics().idleWorkers());
    }

    @Test
    void withoutSlotArgumentsTheConcurrencyIsTheNumberOfSlots() {
        StatefulTask<Void, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::openNoArgument,
                SlotFns::apply);
        List<Row> rows = rows(ctx.mapAll(task, IntStream.range(0, 40).boxed().collect(Collectors.toList()),
                MapOptions.builder().concurrency(2).ordered(false).build()));
        assertEquals(40, rows.size());
        assertTrue(rows.stream().allMatch(r -> (r.slot == 0 || r.slot == 1) && r.initsInJvm == 1));
        assertTrue(rows.stream().map(r -> r.pid).distinct().count() <= 2);
    }

    @Test
    void aReplacementWorkerGetsTheSameSlotArgumentAgain() {
        List<String> args = List.of("gpu0", "gpu1");
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                args);
        List<Integer> input = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            input.add(i == 3 ? -1 : i); // item 3 calls System.exit in its worker
        }
        List<Outcome<Integer, String>> outcomes = new ArrayList<>();
        ctx.mapOutcomes(task, input, MapOptions.DEFAULT).forEachRemaining(outcomes::add);

        assertEquals(30, outcomes.size());
        Outcome<Integer, String> crashed = outcomes.get(3);
        assertFalse(crashed.isSuccess());
        assertInstanceOf(BrokenWorkerException.class, crashed.failure());
        assertEquals(3, ((BrokenWorkerException) crashed.failure()).exitCode().getAsInt());
        List<Row> rows = new ArrayList<>();
        for (Outcome<Integer, String> o : outcomes) {
            if (o.index() != 3) {
                assertTrue(o.isSuccess(), "item " + o.index() + ": " + o.failure());
                rows.add(new Row(o.value()));
            }
        }
        Map<Integer, Set<Long>> pidsOfSlot = new HashMap<>();
        for (Row r : rows) {
            assertEquals(args.get(r.slot), r.argument);
            assertEquals(1, r.initsInJvm);
            pidsOfSlot.computeIfAbsent(r.slot, k -> new HashSet<>()).add(r.pid);
        }
        // exactly one slot lost its worker and continued in a replacement, with its own argument
        assertEquals(List.of(1, 2), pidsOfSlot.values().stream().map(Set::size).sorted().collect(Collectors.toList()),
                "pids per slot: " + pidsOfSlot);
    }

    @Test
    void aTimedOutItemKillsItsSlotsWorkerAndTheSlotGoesOn() {
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("only"));
        ctx.prestart(1);
        assertEquals(1, ctx.runSync(Fns::square, 1)); // warm: the first item's time is not a cold worker's
        List<Outcome<Integer, String>> outcomes = new ArrayList<>();
        ctx.mapOutcomes(task, List.of(1, -2, 3, 4), MapOptions.builder().taskTimeout(Duration.ofSeconds(1)).build())
                .forEachRemaining(outcomes::add);
        assertTrue(outcomes.get(0).isSuccess());
        assertInstanceOf(TimeoutException.class, outcomes.get(1).failure());
        long before = new Row(outcomes.get(0).value()).pid;
        Row after = new Row(outcomes.get(2).value());
        assertNotEquals(before, after.pid, "the slot's worker was not replaced");
        assertEquals("only", after.argument);
        assertEquals(1, after.initsInJvm);
        Eventually.within(Duration.ofSeconds(5), "the timed-out slot's worker is gone", () -> Eventually.gone(before));
        assertTrue(outcomes.get(3).isSuccess());
    }

    @ParameterizedTest
    @ValueSource(strings = {"threads", "inline"})
    void inProcessBackendsKeepOneStatePerSlot(String backend) {
        List<String> args = List.of("a", "b", "c");
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                args);
        List<Row> rows = rows(ctx.mapAll(task, IntStream.range(0, 50).boxed().collect(Collectors.toList()),
                MapOptions.builder().backend(backend).build()));
        assertEquals(50, rows.size());
        Map<Integer, Set<String>> threadsOfSlot = new HashMap<>();
        for (Row r : rows) {
            assertEquals(args.get(r.slot), r.argument);
            assertEquals(ProcessHandle.current().pid(), r.pid);
            threadsOfSlot.computeIfAbsent(r.slot, k -> new HashSet<>()).add(r.thread);
        }
        threadsOfSlot.forEach((slot, threads) -> assertEquals(1, threads.size(), "slot " + slot + ": " + threads));
        SlotFns.INITS.forEach((slot, n) -> assertEquals(1, n.get(), "inits of slot " + slot));
        if (backend.equals("inline")) {
            assertEquals(Set.of(0), threadsOfSlot.keySet());
        }
    }

    @Test
    void initFailureFailsTheItemWithItsOwnException() {
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("fail-init"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ctx.mapAll(task, List.of(1, 2), MapOptions.DEFAULT));
        assertEquals("init failed for slot 0", e.getMessage());
    }

    @Test
    void aFailingCloseIsThrownWhenTheMapEnds() {
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("ok", "fail-close")).onClose(SlotFns::close);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ctx.mapAll(task, IntStream.range(0, 10).boxed().collect(Collectors.toList()),
                        MapOptions.DEFAULT));
        assertTrue(e.getMessage().startsWith("closing the state of slot 1 failed"), e.getMessage());
        assertInstanceOf(IOException.class, e.getCause());
        StatefulTask<String, SlotFns.State, Integer, String> both = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("fail-close", "fail-close")).onClose(SlotFns::close);
        IllegalStateException two = assertThrows(IllegalStateException.class,
                () -> ctx.mapAll(both, IntStream.range(0, 10).boxed().collect(Collectors.toList()),
                        MapOptions.builder().concurrency(2).build()));
        assertTrue(two.getMessage().startsWith("closing the state of slot 0 failed"), two.getMessage());
        assertEquals(1, two.getSuppressed().length, "the other slot's failure is kept too");
        assertTrue(two.getSuppressed()[0].getMessage().startsWith("closing the state of slot 1 failed"));
    }

    @Test
    void statisticsCountTheWorkersAnOpenStatefulMapHolds() {
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("a", "b"));
        try (MapIterator<String> it = ctx.map(task, List.of(1, 2, 3, 4, 5, 6).iterator(), MapOptions.DEFAULT)) {
            for (int i = 0; i < 6; i++) {
                it.next();
            }
            Eventually.within(Duration.ofSeconds(10), "both slots' workers pinned between items",
                    () -> ctx.statistics().pinnedWorkers() == 2);
            WorkerStatistics s = ctx.statistics();
            assertEquals(0, s.runningWorkers(), s.toString());
            assertTrue(s.toString().contains("pinned=2"), s.toString());
        }
        Eventually.within(Duration.ofSeconds(10), "the closed map's workers back in the cache",
                () -> ctx.statistics().pinnedWorkers() == 0 && ctx.statistics().idleWorkers() == 2);
    }

    @Test
    void theContextClosingClosesThePinnedStates() throws IOException {
        List<String> args = slotFiles(2);
        StatefulTask<String, SlotFns.State, Integer, String> task =
                StatefulTask.of(SlotFns::open, SlotFns::apply, args).onClose(SlotFns::close);
        MapIterator<String> it = ctx.map(task, List.of(1, 2, 3, 4).iterator(), MapOptions.DEFAULT);
        Row first = new Row(it.next()); // the map is still open: its workers hold their states
        ctx.close();
        List<String> closed = Files.readAllLines(Path.of(args.get(first.slot)));
        assertEquals(1, closed.size());
        assertEquals(first.pid, Long.parseLong(closed.get(0).split(" ")[1]));
        it.close();
    }

    @Test
    void badSlotSetupsAreRefusedBeforeAnyInputIsRead() {
        StatefulTask<String, SlotFns.State, Integer, String> task = StatefulTask.of(SlotFns::open, SlotFns::apply,
                List.of("a", "b"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ctx.map(task, List.of(1), MapOptions.builder().concurrency(3).build()));
        assertEquals("concurrency 3 does not match the 2 slot arguments: a stateful map has one slot per argument;"
                + " leave concurrency unset or give 3 arguments", e.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> StatefulTask.of(SlotFns::open, SlotFns::apply, List.<String>of()));
        assertTrue(empty.getMessage().startsWith("slotArguments is empty"), empty.getMessage());
        IllegalArgumentException lambda = assertThrows(IllegalArgumentException.class,
                () -> ctx.map(StatefulTask.of((Integer slot) -> slot, SlotFns::applyToInt), List.of(1),
                        MapOptions.DEFAULT));
        assertTrue(lambda.getMessage().startsWith("cannot run a lambda in a worker"), lambda.getMessage());
    }
}
