package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.Eventually;
import dev.offload.testing.NoWorkerLeft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Maps whose items travel to workers in batches ({@link MapOptions.Builder#batchSize}), against real worker JVMs. */
@ExtendWith(NoWorkerLeft.class)
class BatchMapTest {
    private WorkerContext ctx;

    @BeforeEach
    void open() {
        ctx = WorkerContext.open();
    }

    @AfterEach
    void close() {
        ctx.close();
    }

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().collect(Collectors.toList());
    }

    private static MapOptions.Builder batches(int size) {
        return MapOptions.builder().batchSize(size).concurrency(2);
    }

    @Test
    void everyItemGetsItsOwnResultWhateverTheBatchSizeBackendAndOrder() {
        for (MapOptions.Backend backend : MapOptions.Backend.values()) {
            for (int size : new int[] {2, 7, 64}) {
                for (int n : new int[] {0, 1, 6, 7, 8, 100, 1001}) {
                    for (boolean ordered : new boolean[] {true, false}) {
                        MapOptions o = batches(size).backend(backend).ordered(ordered).build();
                        List<Integer> expected = range(n).stream().map(x -> x * x).collect(Collectors.toList());
                        List<Integer> sized = ctx.mapAll(Fns::boxedSquare, range(n), o);
                        List<Integer> unsized = new ArrayList<>();
                        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, range(n).iterator(), o)) {
                            it.forEachRemaining(unsized::add);
                        }
                        if (!ordered) {
                            Collections.sort(sized);
                            Collections.sort(unsized);
                        }
                        String what = backend + " batchSize=" + size + " n=" + n + " ordered=" + ordered;
                        assertEquals(expected, sized, what);
                        assertEquals(expected, unsized, what);
                    }
                }
            }
        }
    }

    @Test
    void aBatchIsOneRequestToOneWorker() {
        long before = ctx.statistics().callsCompleted();
        List<String> out = ctx.mapAll(Fns::describe, new ArrayList<Object>(range(1000)), batches(100).build());
        assertEquals(1000, out.size());
        assertEquals(10, ctx.statistics().callsCompleted() - before, "1000 items in batches of 100 are 10 calls");
        for (int b = 0; b < 10; b++) {
            List<String> batch = out.subList(100 * b, 100 * b + 100);
            assertEquals(1, batch.stream().distinct().count(), "every item of batch " + b + " ran in one worker");
        }
    }

    @Test
    void anItemThatThrowsFailsOnlyItself() {
        List<Outcome<Integer, Integer>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::squareEven, range(20),
                batches(8).build())) {
            it.forEachRemaining(out::add);
        }
        assertEquals(20, out.size());
        for (Outcome<Integer, Integer> o : out) {
            int x = (int) o.index();
            if (x % 2 == 0) {
                assertEquals(x * x, o.value());
            } else {
                Fns.SpecialException e = assertInstanceOf(Fns.SpecialException.class, o.failure());
                assertEquals("odd " + x, e.getMessage());
            }
        }
        // Fail fast: the first failure, thrown as itself.
        Fns.SpecialException e = assertThrows(Fns.SpecialException.class,
                () -> ctx.mapAll(Fns::squareEven, range(20), batches(8).build()));
        assertTrue(e.getMessage().startsWith("odd "), e.getMessage());
        // Collected: every failure, in input order.
        MapFailedException all = assertThrows(MapFailedException.class, () -> ctx.mapAll(Fns::squareEven, range(20),
                batches(8).errors(MapOptions.Errors.COLLECT).build()));
        assertEquals(range(20).stream().filter(x -> x % 2 != 0).map(Long::valueOf).collect(Collectors.toList()),
                all.failures().stream().map(Outcome::index).collect(Collectors.toList()));
    }

    @Test
    void aWorkerThatExitsFailsEveryItemOfItsBatchAndNoOther() {
        List<Outcome<Integer, Integer>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::exitOnSeven, range(14),
                batches(4).build())) {
            it.forEachRemaining(out::add);
        }
        assertEquals(14, out.size());
        for (Outcome<Integer, Integer> o : out) {
            if (o.index() >= 4 && o.index() < 8) { // the batch 4..7
                BrokenWorkerException b = assertInstanceOf(BrokenWorkerException.class, o.failure(), o.toString());
                assertEquals(7, b.exitCode().orElseThrow());
            } else {
                assertEquals((int) o.index(), o.value(), o.toString());
            }
        }
    }

    @Test
    void theTimeLimitCoversABatchAndKillsItsWorker() {
        ctx.prestart(2);
        Eventually.within(Duration.ofSeconds(30), "two idle workers", () -> ctx.statistics().idleWorkers() == 2);
        List<Long> before = NoWorkerLeft.liveWorkers().stream().map(ProcessHandle::pid).collect(Collectors.toList());
        MapOptions o = batches(2).taskTimeout(Duration.ofMillis(500)).build();
        List<Outcome<Integer, Long>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Long>> it = ctx.mapOutcomes(Fns::hangIfNegative, List.of(1, -1, 2, 3), o)) {
            it.forEachRemaining(out::add);
        }
        for (int i : new int[] {0, 1}) {
            assertInstanceOf(TimeoutException.class, out.get(i).failure(), out.toString());
            assertTrue(out.get(i).failure().getMessage().contains("timed out after PT0.5S; its worker was killed"));
        }
        assertTrue(out.get(2).isSuccess() && out.get(3).isSuccess(), out.toString());
        Eventually.within(Duration.ofSeconds(5), "the timed-out batch's worker is gone",
                () -> before.stream().filter(Eventually::gone).count() == 1);
    }

    @Test
    void closingTheMapKillsTheBatchesInFlight() {
        ctx.prestart(2);
        Eventually.within(Duration.ofSeconds(30), "two idle workers", () -> ctx.statistics().idleWorkers() == 2);
        List<Long> before = NoWorkerLeft.liveWorkers().stream().map(ProcessHandle::pid).collect(Collectors.toList());
        List<Long> pids = new ArrayList<>();
        long t = System.nanoTime();
        try (MapIterator<Long> it = ctx.map(Fns::hangIfNegative, List.of(1, 2, -1, -1, -1, -1).iterator(),
                batches(2).build())) {
            pids.add(it.next());
            pids.add(it.next()); // the first batch; the other two hang
        }
        assertTrue(System.nanoTime() - t < 20_000_000_000L, "close returned");
        assertEquals(pids.get(0), pids.get(1), "a batch runs in one worker");
        // The second batch hangs in the other worker; the third may have started in the first one's worker by then.
        long second = before.stream().filter(p -> !p.equals(pids.get(0))).findFirst().orElseThrow();
        Eventually.within(Duration.ofSeconds(10), "the second batch's worker is gone", () -> Eventually.gone(second));
        Eventually.within(Duration.ofSeconds(10), "no batch runs any more", () -> ctx.statistics().runningWorkers() == 0);
    }

    @Test
    void anItemTheCodecCannotEncodeFailsAloneAndTheRestOfItsBatchRuns() {
        List<Object> items = new ArrayList<>(List.of("a", "b", new Object(), "d"));
        List<Outcome<Object, String>> out = new ArrayList<>();
        try (MapIterator<Outcome<Object, String>> it = ctx.mapOutcomes(Fns::describe, items, batches(4).build())) {
            it.forEachRemaining(out::add);
        }
        assertEquals(4, out.size());
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, out.get(2).failure());
        assertTrue(e.getMessage().contains("cannot encode the arguments"), e.getMessage());
        for (int i : new int[] {0, 1, 3}) {
            assertTrue(out.get(i).value().startsWith("String@"), out.toString());
        }
    }

    @Test
    void resultsTooLargeToTravelTogetherFailTheirBatchWithAClearError() {
        try (WorkerContext small = WorkerContext.open(WorkerConfig.builder().maxFrameSize(64 * 1024).build())) {
            List<Outcome<Integer, byte[]>> out = new ArrayList<>();
            try (MapIterator<Outcome<Integer, byte[]>> it = small.mapOutcomes(Fns::kilobytes, List.of(20, 20, 20, 20,
                    1), batches(4).build())) {
                it.forEachRemaining(out::add);
            }
            for (int i = 0; i < 4; i++) {
                Throwable f = out.get(i).failure();
                assertTrue(f != null && f.getMessage().contains("too large to send together")
                        && f.getMessage().contains("lower MapOptions batchSize"), String.valueOf(f));
            }
            assertEquals(1024, out.get(4).value().length);
        }
    }

    @Test
    void aStreamHoldsAtMostItsWindowOfBatches() {
        AtomicLong pulled = new AtomicLong();
        Iterator<Integer> input = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return pulled.get() < 20_000;
            }

            @Override
            public Integer next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return (int) (pulled.getAndIncrement() % 1000);
            }
        };
        long consumed = 0;
        long peak = 0;
        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, input, batches(50).build())) {
            while (it.hasNext()) {
                it.next();
                consumed++;
                peak = Math.max(peak, pulled.get() - consumed + 1);
            }
        }
        assertEquals(20_000, consumed);
        assertTrue(peak <= 2 * 2 * 50, "held " + peak + " items at once; the window is 2 x concurrency x batchSize");
    }

    @Test
    void automaticBatchesGiveEveryItemItsResultAndCarrySeveralQuickItemsPerCall() {
        for (boolean ordered : new boolean[] {true, false}) {
            for (MapOptions.Builder b : List.of(MapOptions.builder().autoBatchSize(),
                    MapOptions.builder().batchSize(MapOptions.AUTO_BATCH_SIZE))) {
                MapOptions o = b.concurrency(2).ordered(ordered).build();
                long before = ctx.statistics().callsCompleted();
                List<Integer> out = new ArrayList<>();
                try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, range(3000).iterator(), o)) {
                    it.forEachRemaining(out::add);
                }
                long calls = ctx.statistics().callsCompleted() - before;
                if (!ordered) {
                    Collections.sort(out);
                }
                assertEquals(range(3000).stream().map(x -> x * x).collect(Collectors.toList()), out);
                // Each call of a microsecond's work takes far less than the 10 ms under which batches grow.
                assertTrue(calls < 3000, "3000 quick items took " + calls + " calls: no batch grew");
            }
        }
    }

    @Test
    void automaticBatchesSendItemsSlowerThanTheGrowthBoundOnePerCall() {
        long before = ctx.statistics().callsCompleted();
        List<Integer> out = ctx.mapAll(Fns::sleepMillis, Collections.nCopies(8, 20),
                MapOptions.builder().autoBatchSize().concurrency(2).build());
        assertEquals(Collections.nCopies(8, 20), out);
        assertEquals(8, ctx.statistics().callsCompleted() - before, "items of 20 ms never travel together");
    }

    @Test
    void automaticBatchesStayWithinAGivenWindow() {
        AtomicLong pulled = new AtomicLong();
        Iterator<Integer> input = IntStream.range(0, 5000).peek(x -> pulled.incrementAndGet()).iterator();
        long consumed = 0;
        long peak = 0;
        long before = ctx.statistics().callsCompleted();
        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, input,
                MapOptions.builder().autoBatchSize().window(6).concurrency(2).build())) {
            while (it.hasNext()) {
                assertEquals(consumed * consumed, (long) it.next());
                consumed++;
                peak = Math.max(peak, pulled.get() - consumed + 1);
            }
        }
        assertEquals(5000, consumed);
        assertTrue(peak <= 6, "held " + peak + " items at once with a window of 6");
        assertTrue(ctx.statistics().callsCompleted() - before >= 5000 / 6, "no batch is larger than the window");
    }

    @Test
    void badBatchSettingsAreRefusedWithWhatToDo() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> MapOptions.builder().batchSize(-1));
        assertEquals("batchSize must be >= 1, was -1; 1 sends each item on its own, and AUTO_BATCH_SIZE (0) lets "
                + "the map choose", negative.getMessage());
        assertEquals(MapOptions.AUTO_BATCH_SIZE, MapOptions.builder().autoBatchSize().window(1).build().batchSize());
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> MapOptions.builder().batchSize(10).window(4).build());
        assertTrue(window.getMessage().contains("window (4) is smaller than batchSize (10)"), window.getMessage());
        // Threads and inline run items one by one: a batch size is no reason to refuse their window.
        assertEquals(4, MapOptions.builder().batchSize(10).window(4).backend(MapOptions.Backend.THREADS).build()
                .window());
        assertEquals(1, MapOptions.DEFAULT.batchSize());
    }
}
