package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** The map layer against real worker JVMs (and the in-process backends). */
@ExtendWith(NoWorkerLeft.class)
class MapTest {
    private WorkerContext ctx;

    @BeforeEach
    void open() {
        ctx = WorkerContext.open();
    }

    @AfterEach
    void close() {
        ctx.close();
    }

    /** Counts what the map pulled, so a test can bound what it holds at once. */
    private static final class Counted implements Iterator<Integer> {
        final AtomicLong pulled = new AtomicLong();
        private final long n;

        Counted(long n) {
            this.n = n;
        }

        @Override
        public boolean hasNext() {
            return pulled.get() < n;
        }

        @Override
        public Integer next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return (int) (pulled.getAndIncrement() % 1000);
        }
    }

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().collect(Collectors.toList());
    }

    @Test
    void squaresEveryInputOnEveryBackendInOrderAndOutOfOrder() {
        for (MapOptions.Backend backend : MapOptions.Backend.values()) {
            for (int n : new int[] {0, 1, 2, 7, 100}) {
                for (int concurrency : new int[] {1, 3, 4}) {
                    for (boolean ordered : new boolean[] {true, false}) {
                        MapOptions o = MapOptions.builder().backend(backend).concurrency(concurrency).ordered(ordered)
                                .build();
                        List<Integer> expected = range(n).stream().map(x -> x * x).collect(Collectors.toList());
                        String what = backend + " n=" + n + " c=" + concurrency + " ordered=" + ordered;
                        List<Integer> sized = ctx.mapAll(Fns::boxedSquare, range(n), o);
                        List<Integer> unsized = new ArrayList<>();
                        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, range(n).iterator(), o)) {
                            it.forEachRemaining(unsized::add);
                        }
                        if (ordered) {
                            assertEquals(expected, sized, what);
                            assertEquals(expected, unsized, what);
                        } else {
                            Collections.sort(sized);
                            Collections.sort(unsized);
                            assertEquals(expected, sized, what);
                            assertEquals(expected, unsized, what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void moreWorkersThanInputsAndEmptyInputFinishAtOnce() {
        MapOptions four = MapOptions.builder().concurrency(4).build();
        assertEquals(List.of(25), ctx.mapAll(Fns::boxedSquare, List.of(5), four));
        assertEquals(List.of(), ctx.mapAll(Fns::boxedSquare, List.<Integer>of(), four));
    }

    @Test
    void failFastThrowsTheTasksOwnException() {
        Fns.SpecialException e = assertThrows(Fns.SpecialException.class,
                () -> ctx.mapAll(Fns::failFor, range(5), MapOptions.DEFAULT));
        assertTrue(e.getMessage().startsWith("item "), e.getMessage());
    }

    @Test
    void aFailFastFailureNamesTheItemThatStoppedTheMap() {
        MapOptions one = MapOptions.builder().concurrency(1).build();
        Fns.SpecialException e = assertThrows(Fns.SpecialException.class,
                () -> ctx.mapAll(Fns::squareEven, List.of(2, 4, 7, 8), one));
        assertEquals(1, e.getSuppressed().length, java.util.Arrays.toString(e.getSuppressed()));
        assertTrue(e.getSuppressed()[0].getMessage().startsWith("thrown by item 2 of the map"),
                e.getSuppressed()[0].getMessage());
        // The same on a thread backend, where the function's exception is the very object it threw.
        Fns.SpecialException local = assertThrows(Fns.SpecialException.class, () -> ctx.mapAll(
                Fns::squareEven, List.of(1, 2), MapOptions.builder().concurrency(1).backend(MapOptions.Backend.THREADS)
                        .build()));
        assertTrue(local.getSuppressed()[0].getMessage().startsWith("thrown by item 0 of the map"),
                local.getSuppressed()[0].getMessage());
    }

    @Test
    void collectThrowsOneAggregateInInputOrder() {
        MapOptions collect = MapOptions.builder().errors(MapOptions.Errors.COLLECT).ordered(false).concurrency(3).build();
        MapFailedException e = assertThrows(MapFailedException.class, () -> ctx.mapAll(Fns::failFor, range(6), collect));
        assertEquals(6, e.failures().size());
        for (int i = 0; i < 6; i++) {
            assertEquals(i, e.failures().get(i).index());
            assertEquals("item " + i, e.failures().get(i).failure().getMessage());
        }
        assertEquals(6, e.getSuppressed().length);
    }

    @Test
    void collectStopsOnceMaxFailuresItemsFailed() {
        MapOptions two = MapOptions.builder().errors(MapOptions.Errors.COLLECT).maxFailures(2).concurrency(1).build();
        List<Integer> read = new ArrayList<>();
        Iterator<Integer> input = range(1_000).stream().peek(read::add).iterator();
        MapFailedException e = assertThrows(MapFailedException.class, () -> {
            try (MapIterator<Integer> it = ctx.map(Fns::squareEven, input, two)) {
                it.forEachRemaining(x -> { });
            }
        });
        assertEquals(2, e.failures().size(), e.toString());
        assertEquals(List.of(1L, 3L), List.of(e.failures().get(0).index(), e.failures().get(1).index()));
        assertTrue(e.getMessage().contains("maxFailures"), e.getMessage());
        assertTrue(read.size() < 20, "the map read on after its limit: " + read.size() + " items");
    }

    @Test
    void aProgressListenerThatThrowsEndsTheMapLeavingNoCallRunning() {
        MapOptions options = MapOptions.builder().concurrency(2).progressInterval(Duration.ZERO).progress(p -> {
            if (p.completed() >= 3) {
                throw new IllegalStateException("listener broke");
            }
        }).build();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ctx.mapAll(Fns::sleepMillis, Collections.nCopies(40, 20), options));
        assertEquals("listener broke", e.getMessage());
        Eventually.within(Duration.ofSeconds(10), "the map's calls end", () -> ctx.statistics().runningWorkers() == 0);
        assertEquals(4, ctx.runSync(Fns::square, 2));
        Iterator<Integer> it = ctx.map(Fns::sleepMillis, Collections.nCopies(40, 20), options);
        assertThrows(IllegalStateException.class, () -> it.forEachRemaining(x -> { }));
        assertFalse(it.hasNext(), "a map its listener ended is closed, unclosed by its caller as it is");
        // A map that fails itself throws its own failure first, the listener's suppressed in it.
        MapOptions atTheEnd = MapOptions.builder().errors(MapOptions.Errors.COLLECT).progress(p -> {
            if (p.isFinal()) {
                throw new IllegalStateException("listener broke at the end");
            }
        }).build();
        MapFailedException failed = assertThrows(MapFailedException.class,
                () -> ctx.mapAll(Fns::squareEven, List.of(1, 2, 3), atTheEnd));
        assertEquals("listener broke at the end", failed.getSuppressed()[failed.getSuppressed().length - 1]
                .getMessage());
        MapOptions onEach = MapOptions.builder().progressInterval(Duration.ZERO).progress(p -> {
            throw new IllegalStateException("listener broke on every report");
        }).build();
        Fns.SpecialException first = assertThrows(Fns.SpecialException.class,
                () -> ctx.mapAll(Fns::squareEven, List.of(1), onEach), "the failing item's exception comes first");
        assertEquals("odd 1", first.getMessage());
    }

    @Test
    void aFailureLimitWithoutCollectIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MapOptions.builder().maxFailures(3).build());
        assertTrue(e.getMessage().contains("maxFailures (3) applies only with errors(Errors.COLLECT)"), e.getMessage());
        assertEquals(3, MapOptions.builder().maxFailures(3).errors(MapOptions.Errors.COLLECT).build().maxFailures());
    }

    @Test
    void outcomesGiveEveryItemInPlace() {
        List<Outcome<Integer, Integer>> all = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::failFor, range(4), MapOptions.DEFAULT)) {
            it.forEachRemaining(all::add);
        }
        assertEquals(4, all.size());
        assertTrue(all.stream().noneMatch(Outcome::isSuccess));
        List<Outcome<Integer, Integer>> mixed = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::squareEven, List.of(1, 2, 3),
                MapOptions.DEFAULT)) {
            it.forEachRemaining(mixed::add);
        }
        assertFalse(mixed.get(0).isSuccess());
        assertEquals("odd 1", mixed.get(0).failure().getMessage());
        assertEquals(1, mixed.get(0).input());
        assertEquals(4, mixed.get(1).value());
        assertEquals(2, mixed.get(2).index());
        assertInstanceOf(Fns.SpecialException.class, mixed.get(2).failure());
    }

    @Test
    void failFastReturnsLongBeforeEverythingRan() {
        MapOptions four = MapOptions.builder().concurrency(4).build();
        ctx.prestart(4);
        long start = System.nanoTime();
        assertThrows(Fns.SpecialException.class, () -> ctx.mapAll(Fns::slowFailEveryFifth, range(20), four));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2000, "fail fast took " + millis + " ms");
        Eventually.within(Duration.ofSeconds(5), "in-flight tasks cancelled", () -> ctx.statistics().runningWorkers() == 0);
    }

    @Test
    void taskTimeoutKillsThatWorkerAndTheOthersComplete() {
        ctx.prestart(2);
        // Started and idle: the timeout then measures the call, not a worker start (slower under a coverage agent).
        Eventually.within(Duration.ofSeconds(30), "two idle workers", () -> ctx.statistics().idleWorkers() == 2);
        List<Long> before = NoWorkerLeft.liveWorkers().stream().map(ProcessHandle::pid).collect(Collectors.toList());
        assertEquals(2, before.size());
        // Warm both workers (Fns loaded, first-call costs paid) so that 200 ms is only ever exceeded by the hang.
        assertEquals(List.of(100, 100), ctx.mapAll(Fns::sleepMillis, List.of(100, 100),
                MapOptions.builder().concurrency(2).build()));
        MapOptions opts = MapOptions.builder().concurrency(2).taskTimeout(Duration.ofMillis(200)).build();
        List<Outcome<Integer, Long>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Long>> it = ctx.mapOutcomes(Fns::hangIfNegative, List.of(1, -1, 2, 3), opts)) {
            it.forEachRemaining(out::add);
        }
        assertTrue(out.get(0).isSuccess() && out.get(2).isSuccess() && out.get(3).isSuccess(), out.toString());
        assertInstanceOf(TimeoutException.class, out.get(1).failure());
        assertTrue(out.get(1).failure().getMessage().contains("timed out after PT0.2S; its worker was killed"));
        Eventually.within(Duration.ofSeconds(5), "the timed-out item's worker is gone",
                () -> before.stream().filter(Eventually::gone).count() == 1);
        long killed = before.stream().filter(Eventually::gone).findFirst().orElseThrow();
        assertTrue(out.stream().filter(Outcome::isSuccess).noneMatch(o -> o.value() == killed),
                "no successful item ran on the killed worker after it was killed: " + out);
    }

    @Test
    void aWorkerThatExitsFailsOnlyItsItem() {
        List<Outcome<Integer, Integer>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::exitOnSeven, range(10),
                MapOptions.builder().concurrency(2).build())) {
            it.forEachRemaining(out::add);
        }
        for (Outcome<Integer, Integer> o : out) {
            if (o.index() == 7) {
                BrokenWorkerException b = assertInstanceOf(BrokenWorkerException.class, o.failure());
                assertEquals(7, b.exitCode().orElseThrow());
            } else {
                assertEquals((int) o.index(), o.value());
            }
        }
    }

    private static void assertBoundedStream(WorkerContext ctx, MapOptions opts, long n) {
        Counted input = new Counted(n);
        long consumed = 0;
        long peak = 0;
        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, input, opts)) {
            while (it.hasNext()) {
                it.next();
                consumed++;
                peak = Math.max(peak, input.pulled.get() - consumed + 1);
            }
        }
        assertEquals(n, consumed);
        int window = opts.window();
        assertTrue(peak <= window, "held " + peak + " items at once, window " + window);
    }

    @Test
    void aMillionItemsStreamThroughThreadsWithinTheWindow() {
        assertBoundedStream(ctx, MapOptions.builder().backend(MapOptions.Backend.THREADS).concurrency(2).window(8)
                .build(), 1_000_000);
    }

    @Test
    void twentyThousandItemsStreamThroughWorkersWithinTheWindow() {
        assertBoundedStream(ctx, MapOptions.builder().concurrency(2).window(4).build(), 20_000);
    }

    @Test
    void closingAnInfiniteMapEarlyLeavesNoRunningTasks() {
        Iterator<Integer> infinite = new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Integer next() {
                return i++;
            }
        };
        List<Integer> first = new ArrayList<>();
        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, infinite, MapOptions.builder().concurrency(2).build())) {
            for (int i = 0; i < 3; i++) {
                first.add(it.next());
            }
        }
        assertEquals(List.of(0, 1, 4), first);
        Eventually.within(Duration.ofSeconds(5), "no running tasks", () -> ctx.statistics().runningWorkers() == 0);
    }

    @Test
    void progressEndsWithEverythingCompletedAndNoTotalForIterators() {
        List<MapProgress> sized = Collections.synchronizedList(new ArrayList<>());
        ctx.mapAll(Fns::boxedSquare, range(50), MapOptions.builder().progress(sized::add).build());
        MapProgress last = sized.get(sized.size() - 1);
        assertTrue(last.isFinal());
        assertEquals(50, last.completed());
        assertEquals(50, last.total().orElseThrow());
        List<MapProgress> unsized = new ArrayList<>();
        try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, range(10).iterator(),
                MapOptions.builder().progress(unsized::add).build())) {
            it.forEachRemaining(x -> { });
        }
        MapProgress end = unsized.get(unsized.size() - 1);
        assertTrue(end.total().isEmpty());
        assertEquals(10, end.completed());
    }

    @Test
    void badOptionsAndFunctionsAreRefusedBeforeAnyInputIsRead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MapOptions.builder().concurrency(0));
        assertEquals("concurrency must be > 0, was 0; use auto() for processors - 1", e.getMessage());
        Counted input = new Counted(5);
        int k = 3;
        assertThrows(IllegalArgumentException.class,
                () -> ctx.map((Fn1<Integer, Integer, RuntimeException>) x -> x * k, input, MapOptions.DEFAULT));
        assertEquals(0, input.pulled.get());
    }

    @Test
    void anOrderedMapKeepsNothingOfTheItemsItHasHandedOut() throws ReflectiveOperationException {
        // Items found done at the head of the window used to leave their completion queued until the consumer next
        // waited: a consumer slower than the tasks piled them up without bound (with INLINE, until out of memory).
        MapOptions inline = MapOptions.builder().backend(MapOptions.Backend.INLINE).build();
        MapOptions batches = MapOptions.builder().batchSize(100).concurrency(2).build();
        for (MapOptions o : List.of(inline, batches)) {
            try (MapIterator<Integer> it = ctx.map(Fns::boxedSquare, IntStream.range(0, 5000).iterator(), o)) {
                for (int i = 0; i < 5000; i++) {
                    assertEquals(i * i, it.next());
                }
                java.lang.reflect.Field f = it.getClass().getDeclaredField("completions");
                f.setAccessible(true);
                int queued = ((java.util.Collection<?>) f.get(it)).size();
                assertTrue(queued <= 2 * 2 * 100, queued + " completions still queued after every item was handed out");
            }
        }
    }

    @Test
    void aTimeoutWithoutKillOnCancelSaysTheWorkerWasLeftToFinish() {
        long killed = ctx.statistics().workersKilled();
        List<Outcome<Integer, Integer>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::sleepMillis, List.of(600),
                MapOptions.builder().taskTimeout(Duration.ofMillis(100)).killOnCancel(false).build())) {
            it.forEachRemaining(out::add);
        }
        assertInstanceOf(TimeoutException.class, out.get(0).failure());
        assertEquals("item 0 timed out after PT0.1S; its worker was left to finish it (killOnCancel is off)",
                out.get(0).failure().getMessage());
        assertEquals("dev.offload.Fns.sleepMillis(int) ran past its time limit of PT0.1S; its worker was left to"
                + " finish it (killOnCancel is off)", out.get(0).failure().getCause().getMessage());
        assertEquals(killed, ctx.statistics().workersKilled());
    }

    @Test
    void aTimeoutExceptionTheFunctionThrowsIsItsOwnFailureNotTheTimeLimit() {
        for (int batch : new int[] {1, 3}) {
            List<Outcome<Integer, Integer>> out = new ArrayList<>();
            try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::throwTimeout, List.of(0, 1, 2),
                    MapOptions.builder().taskTimeout(Duration.ofSeconds(30)).batchSize(batch).build())) {
                it.forEachRemaining(out::add);
            }
            for (Outcome<Integer, Integer> o : out) {
                assertInstanceOf(TimeoutException.class, o.failure());
                assertEquals("mine " + o.index(), o.failure().getMessage(), "batchSize " + batch);
            }
        }
    }

    @Test
    void aBatchSizeLargerThanTheInputAllocatesNoMoreThanTheInput() {
        assertEquals(List.of(1, 4, 9), ctx.mapAll(Fns::boxedSquare, List.of(1, 2, 3),
                MapOptions.builder().batchSize(Integer.MAX_VALUE).build()));
    }

    @Test
    void outcomesComeFromStreamsAndWithTheDefaultOptionsToo() {
        List<Outcome<Integer, Integer>> out = new ArrayList<>();
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::squareEven, IntStream.range(0, 4).boxed(),
                MapOptions.DEFAULT)) {
            it.forEachRemaining(out::add);
        }
        try (MapIterator<Outcome<Integer, Integer>> it = ctx.mapOutcomes(Fns::squareEven, List.of(4, 5))) {
            it.forEachRemaining(out::add);
        }
        assertEquals(List.of(true, false, true, false, true, false),
                out.stream().map(Outcome::isSuccess).collect(Collectors.toList()));
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> ctx.mapAll(Fns::boxedSquare, List.of(1), null));
        assertEquals("options must not be null; pass MapOptions.DEFAULT for the defaults", e.getMessage());
    }
}
