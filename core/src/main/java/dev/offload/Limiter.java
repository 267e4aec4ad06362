package dev.offload;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Caps how many calls run at once: a FIFO-fair counting semaphore whose waits can be cancelled, shared by any
 * number of contexts. {@link Offload#defaultLimiter()} has one permit per available processor and is used by
 * every call that names no other.
 *
 * <pre>{@code
 * Limiter two = Limiter.create(2);
 * ctx.runSync(CallOptions.builder().limiter(two).build(), Fns::fib, 30);
 * Offload.defaultLimiter().setCapacity(1);   // widen or narrow the default
 * }</pre>
 *
 * <p>A call waiting for a permit has not touched a worker; cancelling it (or interrupting its caller) just
 * leaves the queue. Lowering the capacity does not stop running calls; new ones wait until usage drops below it.
 *
 * <p>Thread-safe.
 */
public final class Limiter {
    private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
    private int capacity;
    private int inUse;

    private Limiter(int capacity) {
        this.capacity = capacity;
    }

    /**
     * A limiter with {@code capacity} permits (at least 1).
     *
     * @param capacity the number of permits, 1 or more
     * @return a new limiter with no permit in use
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public static Limiter create(int capacity) {
        return new Limiter(checkCapacity(capacity));
    }

    private static int checkCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, was " + capacity);
        }
        return capacity;
    }

    /**
     * Total permits.
     *
     * @return the number of permits
     */
    public synchronized int capacity() {
        return capacity;
    }

    /**
     * Changes the number of permits; waiters are admitted at once if it grows.
     *
     * @param capacity the new number of permits, 1 or more
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public void setCapacity(int capacity) {
        checkCapacity(capacity);
        synchronized (this) {
            this.capacity = capacity;
        }
        admit();
    }

    /**
     * Permits currently held.
     *
     * @return the number of permits held now, which may exceed the capacity right after it was lowered
     */
    public synchronized int inUse() {
        return inUse;
    }

    /**
     * Callers waiting for a permit.
     *
     * @return the number of requests still waiting for a permit
     */
    public synchronized int waiting() {
        return (int) waiters.stream().filter(w -> !w.isDone()).count();
    }

    /**
     * Takes a permit if one is free and nobody is waiting for one, without waiting.
     *
     * @return whether a permit was taken; if so, give it back with {@link #release()}
     */
    public synchronized boolean tryAcquire() {
        if (waiters.isEmpty() && inUse < capacity) {
            inUse++;
            return true;
        }
        return false;
    }

    /**
     * Asks for a permit. The future completes when the permit is granted (at once if one is free and nobody
     * waits). Cancelling the future before that withdraws the request; once it completed normally the caller
     * owns a permit and must {@link #release()} it.
     *
     * @return a future that completes when the caller holds a permit
     */
    public CompletableFuture<Void> acquireAsync() {
        CompletableFuture<Void> w = new CompletableFuture<>();
        synchronized (this) {
            if (waiters.isEmpty() && inUse < capacity) {
                inUse++;
                w.complete(null);
                return w;
            }
            waiters.add(w);
        }
        w.whenComplete((v, e) -> {
            if (e != null) {
                synchronized (this) {
                    waiters.remove(w);
                }
                admit();
            }
        });
        return w;
    }

    /**
     * Waits for a permit.
     *
     * @throws InterruptedException if interrupted while waiting; no permit is then held
     */
    public void acquire() throws InterruptedException {
        CompletableFuture<Void> w = acquireAsync();
        try {
            w.get();
        } catch (InterruptedException e) {
            if (!w.cancel(false)) {
                release(); // granted meanwhile
            }
            throw e;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns a permit and admits the next waiter. */
    public void release() {
        synchronized (this) {
            if (inUse == 0) {
                throw new IllegalStateException("release() without a matching acquire");
            }
            inUse--;
        }
        admit();
    }

    private void admit() {
        for (;;) {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiters.peek();
                if (next == null || inUse >= capacity) {
                    return;
                }
                waiters.poll();
                inUse++;
            }
            if (!next.complete(null)) {
                synchronized (this) { // it was cancelled meanwhile: take the permit back
                    inUse--;
                }
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "Limiter(capacity=" + capacity + ", inUse=" + inUse + ", waiting=" + waiters.size() + ")";
    }
}
