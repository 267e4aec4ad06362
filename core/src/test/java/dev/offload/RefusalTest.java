package dev.offload;

import static dev.offload.testing.Counts.assertCounts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What cannot run in a worker is refused at the call site, with a message that says what to write instead. */
@ExtendWith(NoWorkerLeft.class)
class RefusalTest {

    private static void assertNoWorkerStarted(WorkerContext ctx) {
        assertCounts(0, 0, ctx.statistics());
        assertTrue(NoWorkerLeft.liveWorkers().isEmpty());
    }

    @Test
    void anArgumentNestedTooDeeplyToWriteIsRefusedBeforeAnyWorker() {
        java.util.List<Object> nested = new java.util.ArrayList<>();
        java.util.List<Object> at = nested;
        for (int i = 0; i < 100_000; i++) {
            java.util.List<Object> inner = new java.util.ArrayList<>();
            at.add(inner);
            at = inner;
        }
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::describe, (Object) nested));
            assertTrue(e.getMessage().contains("an object graph nested too deeply to write (StackOverflowError)"),
                    e.getMessage());
            assertEquals(0, ctx.statistics().workersStarted(), "refused before any worker");
        }
    }

    @Test
    void lambdaIsRefusedWithAdvice() {
        try (WorkerContext ctx = WorkerContext.open()) {
            int captured = 3;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync((Fn1<Integer, Integer, RuntimeException>) x -> x * captured, 2));
            assertTrue(e.getMessage().startsWith("cannot run a lambda in a worker"), e.getMessage());
            assertTrue(e.getMessage().contains("Move the body into a static method"), e.getMessage());
            assertNoWorkerStarted(ctx);
        }
    }

    @Test
    void boundMethodReferenceIsRefusedWithAdvice() {
        try (WorkerContext ctx = WorkerContext.open()) {
            Fns receiver = new Fns();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(receiver::instanceMethod, 1));
            assertTrue(e.getMessage().startsWith("cannot run a bound method reference in a worker"), e.getMessage());
            assertTrue(e.getMessage().contains("Fns::instanceMethod that takes the receiver as its first argument"),
                    e.getMessage());
            assertNoWorkerStarted(ctx);
        }
    }

    @Test
    void handWrittenFunctionObjectIsRefused() {
        Fn1<Integer, Integer, RuntimeException> anonymous = new Fn1<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public Integer apply(Integer x) {
                return x;
            }
        };
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ctx.runSync(anonymous, 1));
            assertTrue(e.getMessage().contains("pass a method reference such as MyFunctions::compute"), e.getMessage());
            assertNoWorkerStarted(ctx);
        }
    }

    @Test
    void anArrayConstructorReferenceIsRefusedForWhatItIs() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(int[]::new, 3));
            assertTrue(e.getMessage().startsWith("cannot run an array constructor reference in a worker"),
                    e.getMessage());
            assertNoWorkerStarted(ctx);
        }
    }

    @Test
    void anInitOrRetireFunctionAWorkerCannotRunIsRefusedWhenConfigured() {
        IllegalArgumentException init = assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().init(() -> null));
        assertTrue(init.getMessage().startsWith("the init function: cannot run a lambda in a worker"),
                init.getMessage());
        IllegalArgumentException retire = assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().retire(() -> true));
        assertTrue(retire.getMessage().startsWith("the retire function: cannot run a lambda"), retire.getMessage());
    }

    @Test
    void argumentThatCannotBeEncodedIsRefusedBeforeAnyWorker() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::takesThread, new Thread()));
            assertEquals("cannot encode the arguments of dev.offload.Fns.takesThread(java.lang.Thread) with the"
                    + " default Java codec: argument 1 (a java.lang.Thread) is not Serializable; use a record that"
                    + " implements java.io.Serializable, a String, a boxed primitive, an array or a collection",
                    e.getMessage());
            assertNoWorkerStarted(ctx);
        }
    }

    @Test
    void aResultThatCannotBeEncodedFailsTheCallUncheckedAndTheWorkerCarriesOn() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            // Unchecked: plain(int) declares no exception, so a checked NotSerializableException could not be caught.
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ctx.runSync(Fns::plain, 1));
            assertTrue(e.getMessage().startsWith("cannot encode the result of dev.offload.Fns.plain(int): result (a"
                    + " dev.offload.Fns$Plain) is not Serializable; use a record that implements java.io.Serializable"),
                    e.getMessage());
            assertEquals(9, ctx.runSync(Fns::square, 3));
            assertEquals(1, ctx.statistics().workersStarted());
        }
    }

    @Test
    void aBadAllowListPatternIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().allowSerializable("!!!;;;=="));
        assertTrue(e.getMessage().startsWith("allowSerializable pattern \"!!!;;;==\" is not a filter pattern"),
                e.getMessage());
    }

    @Test
    void serializableClassOutsideTheAllowListIsRefusedUntilAllowed() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::takesOpaque, new Fns.Opaque()));
            assertTrue(e.getMessage().contains("argument 1 (a dev.offload.Fns$Opaque) is not on Offload's allow-list"
                    + " for Java-serialized values; use a record, or allow it with"
                    + " WorkerConfig.builder().allowSerializable(\"dev.offload.Fns$Opaque\")"), e.getMessage());
            assertNoWorkerStarted(ctx);
        }
        WorkerConfig allowing = WorkerConfig.builder().allowSerializable("dev.offload.Fns$Opaque").build();
        try (WorkerContext ctx = WorkerContext.open(allowing)) {
            assertEquals(1, ctx.runSync(Fns::takesOpaque, new Fns.Opaque()));
        }
    }

    @Test
    void badConfigurationNamesTheBadValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkerConfig.builder().idleTimeout(java.time.Duration.ofSeconds(-1)));
        assertEquals("idleTimeout must be >= 0, was PT-1S", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorkerConfig.builder().jvmOptions("-cp"));
        assertTrue(e.getMessage().startsWith("jvmOptions must not set the classpath, was -cp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Limiter.create(0));
        assertEquals("capacity must be >= 1, was 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorkerConfig.builder().prestart(-2));
        assertEquals("prestart must be >= 0, was -2", e.getMessage());
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void argumentsAPrimitiveParameterCannotTakeAreRefusedBeforeAnyWorker() {
        try (WorkerContext ctx = WorkerContext.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::fib, (Integer) null));
            assertEquals("argument 1 of dev.offload.Fns.fib(int) is null, but its parameter is a primitive int; pass"
                    + " a value, or declare the parameter as its boxed type to accept null", e.getMessage());
            Fn1 raw = (Fn1<Integer, Long, RuntimeException>) Fns::fib;
            e = assertThrows(IllegalArgumentException.class, () -> ctx.runSync(raw, "20"));
            assertEquals("argument 1 of dev.offload.Fns.fib(int) is a java.lang.String, but its parameter is a"
                    + " primitive int", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ctx.runSync(Fns::instanceMethod, (Fns) null, 1));
            assertTrue(e.getMessage().startsWith("the receiver of dev.offload.Fns.instanceMethod(int) (argument 1) is"
                    + " null"), e.getMessage());
            assertNoWorkerStarted(ctx);
            // In a batch, such an item fails alone.
            List<Outcome<Integer, Long>> out = new ArrayList<>();
            try (MapIterator<Outcome<Integer, Long>> it = ctx.mapOutcomes(Fns::fib, Arrays.asList(10, null, 12),
                    MapOptions.builder().batchSize(3).build())) {
                it.forEachRemaining(out::add);
            }
            assertEquals(55L, out.get(0).value());
            assertTrue(out.get(1).failure().getMessage().startsWith("argument 1 of dev.offload.Fns.fib(int) is null"),
                    String.valueOf(out.get(1).failure()));
            assertEquals(144L, out.get(2).value());
        }
    }
}
