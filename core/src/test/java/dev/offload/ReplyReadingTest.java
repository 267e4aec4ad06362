package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offload.testing.NoWorkerLeft;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replies are read by whoever is waiting: a blocking caller on its own thread, the worker's reader thread for
 * asynchronous calls. One worker that serves both kinds in every order hands the reading back and forth; no reply
 * may be lost, read twice, or read by the wrong side, whatever the function prints in between.
 */
@ExtendWith(NoWorkerLeft.class)
class ReplyReadingTest {
    @Test
    void oneWorkerServesBlockingAndAsynchronousCallsInAnyOrder() throws Exception {
        Limiter one = Limiter.create(1);
        CallOptions opts = CallOptions.builder().limiter(one).build();
        Random random = new Random(7);
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(opts, Fns::pid);
            for (int i = 0; i < 400; i++) {
                switch (random.nextInt(5)) {
                    case 0:
                        assertEquals(i * i, ctx.runSync(opts, Fns::square, i));
                        break;
                    case 1:
                        assertEquals(i * i, ctx.submit(opts, Fns::square, i).get(30, TimeUnit.SECONDS));
                        break;
                    case 2: { // a blocking call queued behind an asynchronous one: the worker changes readers
                        CompletableFuture<Integer> first = ctx.submit(opts, Fns::square, i);
                        assertEquals((i + 1) * (i + 1), ctx.runSync(opts, Fns::square, i + 1));
                        assertEquals(i * i, first.get(30, TimeUnit.SECONDS));
                        break;
                    }
                    case 3:
                        assertEquals("printed", ctx.runSync(opts, Fns::print, "out " + i, "err " + i));
                        break;
                    default: {
                        List<CompletableFuture<Integer>> runs = new ArrayList<>();
                        for (int k = 0; k < 3; k++) {
                            runs.add(ctx.submit(opts, Fns::square, i + k));
                        }
                        for (int k = 0; k < 3; k++) {
                            assertEquals((i + k) * (i + k), runs.get(k).get(30, TimeUnit.SECONDS));
                        }
                    }
                }
            }
            assertEquals(pid, ctx.runSync(opts, Fns::pid), "the one worker served every call");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void aLoneCallerSpinningOrNotGetsEveryReplyAsTheReadingChangesHands() throws Exception {
        // Quick replies make a lone blocking caller spin, slow ones (longer than its spin) stop it, and probes try
        // again; now and then an asynchronous call hands the reading to the reader thread, which keeps it until
        // the next blocking caller asks for it back with a TURN frame. Exactly one side reads each reply.
        Random random = new Random(11);
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            for (int i = 0; i < 3000; i++) {
                int kind = random.nextInt(20);
                if (kind == 0) {
                    assertEquals(i * i, ctx.submit(Fns::square, i).get(30, TimeUnit.SECONDS));
                } else if (kind < 5) {
                    assertEquals(i * i, ctx.runSync(Fns::squareAfter, i, 50 + random.nextInt(400)));
                } else {
                    assertEquals(i * i, ctx.runSync(Fns::square, i));
                }
            }
            assertEquals(pid, ctx.runSync(Fns::pid), "one worker served every call");
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(120)
    void aLoneAsynchronousCallerGetsEveryReplyAsItsWorkerTurnsSpinningOnAndOff() throws Exception {
        // Back-to-back asynchronous calls (as a coroutine makes) let the reader thread and the worker spin, yielding,
        // while that gives shorter cycles; slow replies and now and then a blocking call (which takes the reading
        // back with a TURN frame) interrupt it. Every reply reaches its own future.
        Random random = new Random(12);
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            for (int i = 0; i < 3000; i++) {
                int kind = random.nextInt(40);
                if (kind == 0) {
                    assertEquals(i * i, ctx.runSync(Fns::square, i));
                } else if (kind < 4) {
                    assertEquals(i * i, ctx.submit(Fns::squareAfter, i, 50 + random.nextInt(400))
                            .get(30, TimeUnit.SECONDS));
                } else {
                    assertEquals(i * i, ctx.submit(Fns::square, i).get(30, TimeUnit.SECONDS));
                }
            }
            assertEquals(pid, ctx.runSync(Fns::pid), "one worker served every call");
        }
    }

    @Test
    void aFreshWorkersFirstCallMayBeOfEitherKind() throws Exception {
        for (int i = 0; i < 6; i++) {
            try (WorkerContext ctx = WorkerContext.open()) {
                if (i % 2 == 0) {
                    assertEquals(i * i, ctx.submit(Fns::square, i).get(30, TimeUnit.SECONDS));
                    assertEquals(4, ctx.runSync(Fns::square, 2));
                } else {
                    assertEquals(i * i, ctx.runSync(Fns::square, i));
                    assertEquals(4, ctx.submit(Fns::square, 2).get(30, TimeUnit.SECONDS));
                }
            }
        }
    }
}
