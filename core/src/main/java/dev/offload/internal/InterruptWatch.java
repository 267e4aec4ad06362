package dev.offload.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Cancels the call of a thread that is interrupted while it reads its reply from a worker's pipe: such a read does
 * not notice interrupts, so one daemon thread looks every {@link #TICK_MILLIS} ms while any thread is watched, and
 * sleeps once none has been for a second. Each thread has one watch, registered once and reused, so watching a
 * call costs two volatile writes, no allocation and no wake-up.
 */
final class InterruptWatch {
    static final long TICK_MILLIS = 2;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The watches of threads that have read a reply; a watch whose thread has ended is dropped. */
    private static final Set<Watch> WATCHES = ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<Watch> MINE = ThreadLocal.withInitial(() -> {
        Watch w = new Watch(Thread.currentThread());
        WATCHES.add(w);
        return w;
    });
    private static volatile boolean asleep;
    private static final Thread THREAD = new Thread(InterruptWatch::run, "offload-interrupt-watch");

    static {
        THREAD.setDaemon(true);
        THREAD.start();
    }

    private InterruptWatch() {}

    /** One thread's watch; {@link #close()} when the read is over. */
    static final class Watch implements AutoCloseable {
        final Thread thread;
        /** The call whose reply the thread is reading, or null. */
        volatile Future<?> call;

        Watch(Thread thread) {
            this.thread = thread;
        }

        @Override
        public void close() {
            call = null;
        }
    }

    /** Cancels {@code call} (with kill-on-cancel: kills its worker) if the current thread is interrupted before close. */
    static Watch watch(Future<?> call) {
        Watch w = MINE.get();
        w.call = call;
        if (asleep) {
            LockSupport.unpark(THREAD);
        }
        return w;
    }

    private static void run() {
        long lastWatched = System.nanoTime();
        for (;;) {
            boolean any = false;
            for (Watch w : WATCHES) {
                Future<?> call = w.call;
                if (call == null) {
                    if (!w.thread.isAlive()) {
                        WATCHES.remove(w);
                    }
                    continue;
                }
                any = true;
                if (w.thread.isInterrupted() && w.call == call) {
                    try {
                        call.cancel(true); // once done, cancel is a no-op
                    } catch (RuntimeException e) {
                        // a cancellation callback failed; the watch must go on for the other threads
                    }
                }
            }
            long now = System.nanoTime();
            if (any) {
                lastWatched = now;
            } else if (now - lastWatched > IDLE_NANOS) {
                asleep = true;
                if (!anyWatched()) { // re-checked after announcing sleep: a new watch unparks us
                    LockSupport.park(InterruptWatch.class);
                }
                asleep = false;
                lastWatched = System.nanoTime();
                continue;
            }
            LockSupport.parkNanos(InterruptWatch.class, TICK_NANOS);
        }
    }

    private static boolean anyWatched() {
        for (Watch w : WATCHES) {
            if (w.call != null) {
                return true;
            }
        }
        return false;
    }
}
