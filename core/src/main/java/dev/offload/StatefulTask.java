package dev.offload;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A map task with state per worker: {@code init} runs once in each worker (its <em>slot</em>), {@code apply} runs
 * per item with that worker's state, and {@code close} runs when the map ends or the worker exits. Use it for what
 * is too expensive to set up per item: a model, a native library, a connection, a GPU.
 *
 * <pre>{@code
 * // Models.load(int slot, String device) -> Model; Models.predict(Model m, Image i) -> Label; Model.close()
 * StatefulTask<String, Model, Image, Label> task =
 *     StatefulTask.of(Models::load, Models::predict, List.of("cuda:0", "cuda:1")).onClose(Model::close);
 * try (WorkerContext ctx = WorkerContext.open()) {
 *     List<Label> labels = ctx.mapAll(task, images, MapOptions.DEFAULT); // 2 slots: one per device
 * }
 * }</pre>
 *
 * <p>Slots: a map has one slot per unit of concurrency, numbered from 0; with per-slot arguments, one slot per
 * argument (a concurrency, if set, must match). Each slot runs one item at a time in its own worker, pinned to it
 * for the whole map, so {@code init} runs once per worker and a state is never shared between slots, with every
 * backend (on {@code threads} a slot is a thread, on {@code inline} the caller is slot 0). If a slot's worker dies
 * (a crash, a task timeout, a cancelled item), the item fails and a replacement worker is started for the slot's
 * next item; {@code init} runs there again with the same slot number and argument. Pinned workers return to the
 * context's cache after {@code close} ran, when the map ends.
 *
 * <p>The state never leaves its worker, so it need not be serializable; the slot arguments, items and results go
 * through the codec like any call's arguments. If {@code init} throws, the item fails with that exception and the
 * slot's next item tries {@code init} again. What {@code close} throws at the end of a map is thrown from the map
 * (if nothing else was); a {@code close} that outlasts the context's grace period gets its worker killed.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <A> the per-slot argument ({@link Void} without one)
 * @param <S> the state, created in the worker
 * @param <T> the items
 * @param <R> the results
 */
public final class StatefulTask<A, S, T, R> {
    /**
     * Releases a state at the end of a map or of its worker: a method reference, like the other functions.
     *
     * @param <S> the type of the state
     */
    @FunctionalInterface
    public interface Close<S> extends Serializable {
        /**
         * Releases {@code state}.
         *
         * @param state the state {@code init} created in this worker
         * @throws Exception anything; at the end of a map the map throws an {@link IllegalStateException} naming the
         *     slot, caused by it, unless something else was thrown first
         */
        void close(S state) throws Exception;
    }

    private final Object init;
    private final boolean initTakesArgument;
    private final Fn2<S, T, R, ?> apply;
    private final Close<S> close;
    private final List<A> slotArguments;

    private StatefulTask(Object init, boolean initTakesArgument, Fn2<S, T, R, ?> apply, Close<S> close,
            List<A> slotArguments) {
        this.init = Objects.requireNonNull(init, "init must not be null; pass a method reference such as Models::load");
        this.initTakesArgument = initTakesArgument;
        this.apply = Objects.requireNonNull(apply,
                "apply must not be null; pass a method reference such as Models::predict");
        this.close = close;
        this.slotArguments = slotArguments;
    }

    /**
     * A task whose state is created by {@code init(slot)}, with slot numbers from 0 to concurrency - 1.
     *
     * @param <S> the type of the state
     * @param <T> the type of the items
     * @param <R> the type of the results
     * @return a task without slot arguments or close function
     * @param init creates a worker's state from its slot number
     * @param apply computes one item's result from the state and the item
     */
    public static <S, T, R> StatefulTask<Void, S, T, R> of(Fn1<Integer, S, ?> init, Fn2<S, T, R, ?> apply) {
        return new StatefulTask<>(init, false, apply, null, null);
    }

    /**
     * A task with one slot per element of {@code slotArguments}: slot {@code i}'s state is created by
     * {@code init(i, slotArguments.get(i))}, in its first worker and again in any replacement.
     *
     * @param <A> the type of the slot arguments
     * @param <S> the type of the state
     * @param <T> the type of the items
     * @param <R> the type of the results
     * @param init creates a worker's state from its slot number and the slot's argument
     * @param apply computes one item's result from the state and the item
     * @param slotArguments one argument per slot, copied; their number is the map's concurrency
     * @return a task with one slot per argument and no close function
     * @throws IllegalArgumentException if {@code slotArguments} is empty
     */
    public static <A, S, T, R> StatefulTask<A, S, T, R> of(Fn2<Integer, A, S, ?> init, Fn2<S, T, R, ?> apply,
            List<? extends A> slotArguments) {
        if (slotArguments.isEmpty()) {
            throw new IllegalArgumentException("slotArguments is empty: give one argument per slot, or use"
                    + " StatefulTask.of(init, apply) for slots without arguments");
        }
        return new StatefulTask<>(init, true, apply, null, Collections.unmodifiableList(new ArrayList<>(slotArguments)));
    }

    /**
     * This task with {@code close} run on each state when the map ends or its worker exits cleanly.
     *
     * @param close releases a state: a method reference such as {@code Model::close}
     * @return a new task; this one is unchanged
     * @throws NullPointerException if {@code close} is null
     */
    public StatefulTask<A, S, T, R> onClose(Close<S> close) {
        return new StatefulTask<>(init, initTakesArgument, apply, Objects.requireNonNull(close, "close"),
                slotArguments);
    }

    /**
     * The init function: an {@code Fn1<Integer, S, ?>}, or an {@code Fn2<Integer, A, S, ?>} with slot arguments.
     *
     * @return the init function
     */
    public Object init() {
        return init;
    }

    /**
     * Whether init takes a slot argument (the task was made with slot arguments).
     *
     * @return {@code true} if {@code init} is an {@code Fn2} taking the slot argument
     */
    public boolean initTakesArgument() {
        return initTakesArgument;
    }

    /**
     * The apply function, run for each item with the state of the item's slot.
     *
     * @return the apply function
     */
    public Fn2<S, T, R, ?> apply() {
        return apply;
    }

    /**
     * The close function, or null.
     *
     * @return the close function, or {@code null} for none
     */
    public Close<S> close() {
        return close;
    }

    /**
     * The per-slot arguments, or null if the task has none.
     *
     * @return the slot arguments (unmodifiable), or {@code null}
     */
    public List<A> slotArguments() {
        return slotArguments;
    }

    /** Slot {@code i}'s argument (null without slot arguments). */
    A slotArgument(int slot) {
        return slotArguments == null ? null : slotArguments.get(slot);
    }

    /**
     * The number of slots for these options: one per slot argument, else the options' concurrency, else
     * {@code defaultSlots}.
     *
     * @throws IllegalArgumentException if the options' concurrency and the slot arguments disagree
     */
    int slots(MapOptions options, int defaultSlots) {
        if (slotArguments != null) {
            if (options.concurrency() > 0 && options.concurrency() != slotArguments.size()) {
                throw new IllegalArgumentException("concurrency " + options.concurrency() + " does not match the "
                        + slotArguments.size() + " slot arguments: a stateful map has one slot per argument; leave"
                        + " concurrency unset or give " + options.concurrency() + " arguments");
            }
            return slotArguments.size();
        }
        if (MapOptions.Backend.INLINE.backendName().equals(options.backendName())) {
            return 1;
        }
        return options.concurrency() > 0 ? options.concurrency() : defaultSlots;
    }

    @SuppressWarnings("unchecked")
    S init(int slot) throws Exception {
        return initTakesArgument ? ((Fn2<Integer, A, S, ?>) init).apply(slot, slotArgument(slot))
                : ((Fn1<Integer, S, ?>) init).apply(slot);
    }
}
