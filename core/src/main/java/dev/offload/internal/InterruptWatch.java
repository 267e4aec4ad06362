package dev.offload.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Cancels the call of a thread that is interrupted while it reads its reply from a worker's pipe: such a read does
 * not notice interrupts, so one daemon thread looks every {@link #TICK_MILLIS} ms while any thread is watched, and
 * sleeps once none has been for a second. Watching costs a set insertion and removal per call, no wake-up.
 */
final class InterruptWatch {
    static final long TICK_MILLIS = 2;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Set<Watch> WATCHED = ConcurrentHashMap.newKeySet();
    private static volatile boolean asleep;
    private static final Thread THREAD = new Thread(InterruptWatch::run, "offload-interrupt-watch");

    static {
        THREAD.setDaemon(true);
        THREAD.start();
    }

    private InterruptWatch() {}

    /** One thread's read of one call's reply; {@link #close()} when the read is over. */
    static final class Watch implements AutoCloseable {
        final Thread thread;
        final Future<?> call;
        volatile boolean fired;

        Watch(Thread thread, Future<?> call) {
            this.thread = thread;
            this.call = call;
        }

        @Override
        public void close() {
            WATCHED.remove(this);
        }
    }

    /** Cancels {@code call} (with kill-on-cancel: kills its worker) if {@code thread} is interrupted before close. */
    static Watch watch(Thread thread, Future<?> call) {
        Watch w = new Watch(thread, call);
        WATCHED.add(w);
        if (asleep) {
            LockSupport.unpark(THREAD);
        }
        return w;
    }

    private static void run() {
        long lastWatched = System.nanoTime();
        for (;;) {
            if (WATCHED.isEmpty()) {
                if (System.nanoTime() - lastWatched > IDLE_NANOS) {
                    asleep = true;
                    if (WATCHED.isEmpty()) { // re-checked after announcing sleep: a new watch unparks us
                        LockSupport.park(InterruptWatch.class);
                    }
                    asleep = false;
                    lastWatched = System.nanoTime();
                    continue;
                }
            } else {
                lastWatched = System.nanoTime();
            }
            LockSupport.parkNanos(InterruptWatch.class, TICK_NANOS);
            for (Watch w : WATCHED) {
                if (!w.fired && w.thread.isInterrupted()) {
                    w.fired = true;
                    try {
                        w.call.cancel(true);
                    } catch (RuntimeException e) {
                        // a cancellation callback failed; the watch must go on for the other threads
                    }
                }
            }
        }
    }
}
