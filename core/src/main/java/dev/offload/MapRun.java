package dev.offload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;

/**
 * One run of a map: pulls input lazily, keeps at most {@code window} items in flight (submitted and not yet handed
 * out, the reorder buffer included), hands results out in input or completion order, and applies the error policy.
 * Consumer-driven: no thread of its own; tasks run wherever the backend puts them.
 *
 * @param <T> input
 * @param <R> result of the function
 * @param <E> element handed out: R, or {@code Outcome<T, R>}
 */
final class MapRun<T, R, E> implements MapIterator<E> {
    private static final class Entry<T, R> {
        final long index;
        final T input;
        final CompletableFuture<R> future;

        Entry(long index, T input, CompletableFuture<R> future) {
            this.index = index;
            this.input = input;
            this.future = future;
        }
    }

    private final Iterator<? extends T> input;
    private final long total;
    private final MapBackend.Runner<T, R> backend;
    private final MapOptions options;
    private final boolean outcomes;
    /** Items in flight at most, or 0: twice the concurrency times the current batch size (automatic batches). */
    private final int window;
    /** Items per start: the batch size, within the window; 0 with automatic batches. */
    private final int batch;
    /** Chooses the batch size when the options ask for automatic batches; else null. */
    private final dev.offload.internal.AutoBatch auto;
    private final Map<Long, Entry<T, R>> pending = new HashMap<>();
    private final LinkedBlockingQueue<Long> completions = new LinkedBlockingQueue<>();
    private final List<Outcome<?, ?>> failures = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    private long lastProgressNanos;
    private long nextIndex;
    private long nextToEmit;
    private long completed;
    private long failed;
    private boolean inputDone;
    private boolean closed;
    /** A progress listener threw: it gets no more reports. */
    private boolean progressFailed;
    private E ready;
    private boolean hasReady;

    MapRun(Iterator<? extends T> input, long total, MapBackend.Runner<T, R> backend, MapOptions options, boolean outcomes) {
        this.input = input; // not null: WorkerContext checks the input before it opens the backend
        this.total = total;
        this.backend = backend;
        this.options = options;
        this.outcomes = outcomes;
        boolean inline = options.backendName().equals(MapOptions.Backend.INLINE.backendName());
        boolean threads = options.backendName().equals(MapOptions.Backend.THREADS.backendName());
        // Threads run items one by one whatever the batch: choosing sizes for them would only widen the window.
        this.batch = inline || threads && options.batchSize() == MapOptions.AUTO_BATCH_SIZE ? 1 : options.batchSize();
        this.auto = batch == MapOptions.AUTO_BATCH_SIZE ? new dev.offload.internal.AutoBatch(options.taskTimeout())
                : null;
        this.window = inline ? 1 : options.window() > 0 ? options.window() : auto != null ? 0
                : (int) Math.min(Integer.MAX_VALUE, (long) backend.defaultWindow() * batch);
    }

    @Override
    public boolean hasNext() {
        if (!hasReady && !closed) {
            hasReady = advance();
        }
        return hasReady;
    }

    @Override
    public E next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        hasReady = false;
        E e = ready;
        ready = null;
        return e;
    }

    /** Finds the next element to hand out; false when the map is done. */
    private boolean advance() {
        for (;;) {
            fill();
            if (pending.isEmpty() && inputDone) {
                finish();
                return false;
            }
            Entry<T, R> entry;
            if (options.ordered()) {
                // Here completions only wake the consumer, or bring a fail-fast failure forward: all are taken, so
                // none piles up while results come out of the head of the window.
                entry = null;
                Long c;
                while (entry == null && (c = completions.poll()) != null) {
                    entry = failingFast(c);
                }
                if (entry == null) {
                    Entry<T, R> head = pending.get(nextToEmit);
                    if (head != null && head.future.isDone()) {
                        pending.remove(nextToEmit);
                        nextToEmit++;
                        entry = head;
                    } else {
                        entry = failingFast(takeCompletion());
                        if (entry == null) {
                            continue;
                        }
                    }
                }
            } else {
                entry = pending.remove(takeCompletion());
                if (entry == null) {
                    continue;
                }
            }
            if (handle(entry)) {
                return true;
            }
        }
    }

    /** The entry of {@code index} if it failed and the map fails fast: the first failure wins, whatever its place. */
    private Entry<T, R> failingFast(long index) {
        if (options.errors() != MapOptions.Errors.FAIL_FAST || outcomes) {
            return null;
        }
        Entry<T, R> done = pending.get(index);
        if (done == null || !done.future.isCompletedExceptionally()) {
            return null;
        }
        pending.remove(index);
        return done;
    }

    /** Handles a finished entry; true if it produced an element in {@code ready}. */
    @SuppressWarnings("unchecked")
    private boolean handle(Entry<T, R> entry) {
        completed++;
        Throwable failure = failureOf(entry);
        if (failure == null) {
            R value = entry.future.join();
            ready = outcomes ? (E) new Outcome<T, R>(entry.index, entry.input, value, null) : (E) value;
            progress(false);
            return true;
        }
        failed++;
        if (outcomes) {
            progress(false);
            ready = (E) new Outcome<T, R>(entry.index, entry.input, null, failure);
            return true;
        }
        if (options.errors() == MapOptions.Errors.FAIL_FAST) {
            dev.offload.internal.FailedItem.note(failure, entry.index);
            closeKeeping(failure);
            throw MapRun.<RuntimeException>sneaky(failure);
        }
        failures.add(new Outcome<T, R>(entry.index, entry.input, null, failure));
        if (options.maxFailures() > 0 && failures.size() >= options.maxFailures()) {
            MapFailedException stopped = aggregate("map stopped after " + failures.size()
                    + (failures.size() == 1 ? " failure" : " failures") + " (maxFailures)", true);
            closeKeeping(stopped);
            throw stopped;
        }
        progress(false);
        return false;
    }

    /** Closes the map as it fails with {@code failure}; what the close throws (a progress listener) is suppressed. */
    private void closeKeeping(Throwable failure) {
        try {
            close();
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }

    private Throwable failureOf(Entry<T, R> entry) {
        try {
            entry.future.join();
            return null;
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            // A TimeoutException the function threw in its worker is the function's own failure, not the time limit.
            if (cause instanceof TimeoutException && options.taskTimeout() != null
                    && !dev.offload.internal.ExceptionRebuilder.isRemote(cause)) {
                TimeoutException t = new TimeoutException("item " + entry.index + " timed out after "
                        + options.taskTimeout() + (!options.backendName().equals("child-jvm")
                        ? "; the task was cancelled" : options.killOnCancel() ? "; its worker was killed"
                        : "; its worker was left to finish it (killOnCancel is off)"));
                t.initCause(cause);
                return t;
            }
            return cause;
        } catch (CancellationException e) {
            return e;
        }
    }

    private MapFailedException aggregate(String why, boolean early) {
        List<Outcome<?, ?>> sorted = new ArrayList<>(failures);
        sorted.sort(Comparator.comparingLong(Outcome::index));
        return new MapFailedException(why + ": " + sorted.size() + " of the " + completed + " items "
                + (early ? "done so far " : "") + "failed, first " + sorted.get(0), sorted);
    }

    private long takeCompletion() {
        try {
            return completions.take();
        } catch (InterruptedException e) {
            close();
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for map results; in-flight tasks cancelled");
        }
    }

    private void fill() {
        // A batch starts only when the window has room for all of it (or the input ends while it fills), so that
        // items handed out one by one do not break the next batches into small ones.
        for (;;) {
            int size = batch;
            int room = window;
            if (auto != null) {
                size = auto.size();
                if (room == 0) {
                    room = (int) Math.min(Integer.MAX_VALUE, (long) backend.defaultWindow() * size);
                } else {
                    size = Math.min(size, room);
                }
            }
            if (inputDone || closed || room - pending.size() < size) {
                break;
            }
            List<T> items = new ArrayList<>(Math.min(size, 1024)); // a large batch size, but perhaps few items
            try {
                while (items.size() < size && input.hasNext()) {
                    items.add(input.next());
                }
                if (items.size() < size) {
                    inputDone = true;
                }
            } catch (RuntimeException | Error e) {
                close(); // the input failed: cancel what is in flight, then propagate
                throw e;
            }
            if (items.isEmpty()) {
                break;
            }
            long began = System.nanoTime();
            List<CompletableFuture<R>> started = start(items);
            if (auto != null) {
                int n = items.size();
                CompletableFuture.allOf(started.toArray(new CompletableFuture<?>[0])).whenComplete(
                        (r, e) -> auto.finished(n, System.nanoTime() - began));
            }
            for (int i = 0; i < items.size(); i++) {
                long index = nextIndex++;
                CompletableFuture<R> f = started.get(i);
                pending.put(index, new Entry<>(index, items.get(i), f));
                f.whenComplete((r, e) -> completions.add(index));
            }
        }
    }

    /** Starts the items (one, or a batch); an item the backend refuses fails (e.g. one the codec cannot encode). */
    private List<CompletableFuture<R>> start(List<T> items) {
        if (items.size() == 1) {
            CompletableFuture<R> f;
            try {
                f = backend.start(items.get(0));
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            return List.of(f);
        }
        List<CompletableFuture<R>> started;
        try {
            started = backend.startBatch(items);
        } catch (RuntimeException e) {
            started = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                started.add(CompletableFuture.failedFuture(e));
            }
        }
        if (started == null || started.size() != items.size()) {
            for (CompletableFuture<R> f : started == null ? List.<CompletableFuture<R>>of() : started) {
                f.cancel(true);
            }
            close();
            throw new IllegalStateException("map backend \"" + options.backendName() + "\" returned "
                    + (started == null ? "null" : started.size() + " futures") + " for a batch of " + items.size()
                    + " items; startBatch must return one future per item");
        }
        return started;
    }

    private void progress(boolean last) {
        MapProgress.Listener l = options.progress();
        if (l == null || progressFailed) {
            return;
        }
        long now = System.nanoTime();
        if (!last && now - lastProgressNanos < options.progressInterval().toNanos()) {
            return;
        }
        lastProgressNanos = now;
        try {
            l.onProgress(new MapProgress(total, nextIndex, completed, failed, Duration.ofNanos(now - startNanos),
                    last));
        } catch (RuntimeException | Error e) {
            progressFailed = true; // no more reports, not even the final one
            close(); // the listener's failure ends the map, as a failing item would
            throw e;
        }
    }

    private void finish() {
        if (closed) {
            return;
        }
        closed = true;
        backend.close();
        Throwable listener = null;
        try {
            progress(true);
        } catch (RuntimeException | Error e) {
            listener = e;
        }
        if (!failures.isEmpty()) {
            MapFailedException e = aggregate("map finished with failures", false);
            if (listener != null) {
                e.addSuppressed(listener); // the map's own failure comes first
            }
            throw e;
        }
        if (listener != null) {
            throw MapRun.<RuntimeException>sneaky(listener);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        hasReady = false;
        for (Entry<T, R> e : pending.values()) {
            e.future.cancel(true);
        }
        pending.clear();
        backend.close();
        progress(true);
    }

    /** The input size if it is known without consuming it. */
    static long sizeOf(Object source) {
        return source instanceof java.util.Collection ? ((java.util.Collection<?>) source).size() : -1;
    }

    @SuppressWarnings("unchecked")
    private static <X extends Throwable> X sneaky(Throwable t) throws X {
        throw (X) t;
    }
}
