package dev.offload;

import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The results of {@link WorkerContext#map}, pulled lazily: input is read and tasks submitted only as results are
 * consumed (within the window). Close it to stop early: the tasks in flight are cancelled (their workers killed
 * when {@code killOnCancel}) and no more input is read.
 *
 * <p>Not thread-safe: consume it from one thread.
 *
 * @param <R> the type of the results
 */
public interface MapIterator<R> extends Iterator<R>, AutoCloseable {
    /** Stops the map: cancels tasks in flight and reads no more input. Idempotent. */
    @Override
    void close();

    /**
     * The remaining results as a sequential stream; closing the stream closes this iterator.
     *
     * @return a sequential, ordered stream of the results not yet consumed
     */
    default Stream<R> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false)
                .onClose(this::close);
    }
}
