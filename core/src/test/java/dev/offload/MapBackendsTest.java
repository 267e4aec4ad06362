package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The backend registry: built-ins, ServiceLoader, programmatic registration, and clear errors. */
@ExtendWith(NoWorkerLeft.class)
class MapBackendsTest {

    /** Found through META-INF/services in the test resources: applies the function twice. */
    public static final class Doubling implements MapBackend {
        @Override
        public String name() {
            return "doubling";
        }

        @Override
        public <T, R> Runner<T, R> open(WorkerContext worker, Fn1<T, R, ?> fn, MapOptions options) {
            return new Runner<>() {
                @Override
                @SuppressWarnings("unchecked")
                public CompletableFuture<R> start(T item) {
                    try {
                        return CompletableFuture.completedFuture(fn.apply((T) fn.apply(item)));
                    } catch (Exception e) {
                        return CompletableFuture.failedFuture(e);
                    }
                }

                @Override
                public int defaultWindow() {
                    return 1;
                }

                @Override
                public void close() {
                    // nothing held
                }
            };
        }
    }

    private static final class Broken implements MapBackend {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public <T, R> Runner<T, R> open(WorkerContext worker, Fn1<T, R, ?> fn, MapOptions options) {
            throw new UnsupportedOperationException("cluster unreachable");
        }
    }

    @Test
    void builtInAndServiceLoadedBackendsAreListed() {
        List<String> names = MapBackends.names();
        assertTrue(names.containsAll(List.of("child-jvm", "threads", "inline", "doubling")), names.toString());
    }

    @Test
    void aServiceLoadedBackendRunsTheMap() {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals(List.of(16, 81), ctx.mapAll(Fns::boxedSquare, List.of(2, 3),
                    MapOptions.builder().backend("doubling").build()));
        }
    }

    @Test
    void aBackendWithoutStatefulSupportRefusesStatefulTasksClearly() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ctx.map(
                    StatefulTask.of(SlotFns::openNoArgument, SlotFns::apply), List.of(1),
                    MapOptions.builder().backend("doubling").build()));
            assertEquals("map backend \"doubling\" does not run stateful tasks; use child-jvm, threads or inline, or"
                    + " implement MapBackend.openStateful", e.getMessage());
        }
    }

    @Test
    void unknownAndFailingBackendsFailClearly() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> ctx.map(Fns::boxedSquare, List.of(1), MapOptions.builder().backend("gpu").build()));
            assertTrue(unknown.getMessage().startsWith("unknown map backend \"gpu\"; registered: "), unknown.getMessage());
            if (!MapBackends.names().contains("broken")) {
                MapBackends.register(new Broken());
            }
            IllegalStateException failing = assertThrows(IllegalStateException.class,
                    () -> ctx.map(Fns::boxedSquare, List.of(1), MapOptions.builder().backend("broken").build()));
            assertEquals("map backend \"broken\" failed to start: java.lang.UnsupportedOperationException: cluster"
                    + " unreachable", failing.getMessage());
            IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
                    () -> MapBackends.register(new Broken()));
            assertTrue(taken.getMessage().startsWith("a map backend named \"broken\" is already registered"));
        }
    }
}
