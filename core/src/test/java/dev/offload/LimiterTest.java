package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class LimiterTest {

    @Test
    void grantsUpToCapacityThenQueuesFifo() {
        Limiter l = Limiter.create(1);
        CompletableFuture<Void> a = l.acquireAsync();
        CompletableFuture<Void> b = l.acquireAsync();
        CompletableFuture<Void> c = l.acquireAsync();
        assertTrue(a.isDone());
        assertFalse(b.isDone());
        assertEquals(2, l.waiting());
        l.release();
        assertTrue(b.isDone());
        assertFalse(c.isDone(), "first come, first served");
        l.release();
        assertTrue(c.isDone());
        l.release();
        assertEquals(0, l.inUse());
    }

    @Test
    void tryAcquireTakesOnlyAFreePermitAndNeverJumpsTheQueue() {
        Limiter l = Limiter.create(2);
        assertTrue(l.tryAcquire());
        assertTrue(l.tryAcquire());
        assertFalse(l.tryAcquire(), "none free");
        CompletableFuture<Void> waiting = l.acquireAsync();
        l.release();
        assertTrue(waiting.isDone(), "the waiter got the permit given back");
        l.setCapacity(3);
        l.acquireAsync(); // waits no longer: the third permit
        assertFalse(l.tryAcquire());
        assertEquals(3, l.inUse());
    }

    @Test
    void cancelledWaiterLeavesTheQueueAndNeverHoldsAPermit() {
        Limiter l = Limiter.create(1);
        l.acquireAsync();
        CompletableFuture<Void> b = l.acquireAsync();
        CompletableFuture<Void> c = l.acquireAsync();
        assertTrue(b.cancel(false));
        assertEquals(1, l.waiting());
        l.release();
        assertTrue(c.isDone());
        assertEquals(1, l.inUse());
    }

    @Test
    void growingCapacityAdmitsWaiters() {
        Limiter l = Limiter.create(1);
        l.acquireAsync();
        CompletableFuture<Void> b = l.acquireAsync();
        l.setCapacity(2);
        assertTrue(b.isDone());
        assertEquals(2, l.inUse());
        l.setCapacity(1);
        l.release();
        CompletableFuture<Void> c = l.acquireAsync();
        assertFalse(c.isDone(), "usage must drop below the lowered capacity first");
        l.release();
        assertTrue(c.isDone());
    }

    @Test
    void interruptedAcquireHoldsNoPermit() throws Exception {
        Limiter l = Limiter.create(1);
        l.acquire();
        Thread t = new Thread(() -> {
            try {
                l.acquire();
            } catch (InterruptedException expected) {
                // the permit request is withdrawn
            }
        });
        t.start();
        while (l.waiting() == 0) {
            Thread.onSpinWait();
        }
        t.interrupt();
        t.join();
        assertEquals(0, l.waiting());
        assertEquals(1, l.inUse());
    }

    @Test
    void releaseWithoutAcquireIsAnError() {
        assertThrows(IllegalStateException.class, () -> Limiter.create(1).release());
    }
}
