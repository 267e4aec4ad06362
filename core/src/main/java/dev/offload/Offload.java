package dev.offload;

import dev.offload.internal.Defaults;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Runs functions in worker JVMs of the process-wide default context, the shortest way in.
 *
 * <pre>{@code
 * long n = Offload.runSync(Fns::fib, 35);                             // static long fib(int n); blocking
 * CompletableFuture<Long> f = Offload.submit(Fns::fib, 40);           // f.cancel(true) kills the worker
 * }</pre>
 *
 * <p>The default context is created on first use with the configuration given to
 * {@link #configureDefaultContext(WorkerConfig)} (or {@link WorkerConfig#defaults()}) and closed, with its grace
 * period, by a JVM shutdown hook. Every call that names no limiter shares {@link #defaultLimiter()}. The
 * semantics of calls (exceptions, crashes, cancellation, printing) are those of {@link WorkerContext}.
 *
 * <p>Thread-safe.
 */
public final class Offload {
    private Offload() {}

    private static WorkerConfig defaultConfig = WorkerConfig.defaults();
    private static volatile WorkerContext defaultContext;

    /**
     * Sets the configuration of the default context. Only before the default context starts (the first call or
     * {@link #defaultContext()}): changing workers under running calls would surprise them.
     *
     * @param config the configuration the default context will be opened with
     * @throws IllegalStateException if the default context is open (a call has used it and it is not closed; once
     *     closed, the next call opens it again with the configuration given here)
     */
    public static synchronized void configureDefaultContext(WorkerConfig config) {
        Objects.requireNonNull(config, "config");
        if (defaultContext != null && !defaultContext.isClosed()) {
            throw new IllegalStateException("the default worker context is already running; call "
                    + "Offload.configureDefaultContext before the first call, or open your own with WorkerContext.open");
        }
        defaultConfig = config;
    }

    /**
     * The process-wide default context, created on first use. A shutdown hook closes it at JVM exit; closing it
     * earlier yourself is allowed (an orderly shutdown), and the next call then starts a new default context. Calls
     * of this class that the close catches before they reach a worker did not run: a blocking one runs on the next
     * default context, while the future of an asynchronous one still waiting for a permit fails with
     * {@link IllegalStateException}.
     *
     * @return the running default context, opened now if there was none or it was closed
     */
    public static WorkerContext defaultContext() {
        WorkerContext c = defaultContext;
        if (c == null || c.isClosed()) {
            synchronized (Offload.class) {
                c = defaultContext;
                if (c == null || c.isClosed()) {
                    c = WorkerContext.open(defaultConfig);
                    dev.offload.internal.Secrets.core(c).markDefault();
                    defaultContext = c;
                }
            }
        }
        return c;
    }

    /**
     * A call on the default context. If that context closes before the call reaches a worker (someone closed it),
     * the call did not run, and goes to the next default context, as a call made after the close would.
     */
    private static <R, X extends Exception> R runOnDefault(CallOptions options, Object fn, Object[] args) throws X {
        for (;;) {
            WorkerContext c = defaultContext();
            try {
                return c.run(options, fn, args);
            } catch (dev.offload.internal.ContextClosedException e) {
                if (!c.isClosed() || dev.offload.internal.ExceptionRebuilder.isRemote(e)) {
                    throw e; // not ours, or thrown by the function itself (it ran)
                }
            }
        }
    }

    /** {@link #runOnDefault} for an asynchronous call: retried if the default context was closed as it was made. */
    private static <R> java.util.concurrent.CompletableFuture<R> startOnDefault(CallOptions options, Object fn,
            Object[] args) {
        for (;;) {
            WorkerContext c = defaultContext();
            try {
                return c.start(options, fn, args);
            } catch (dev.offload.internal.ContextClosedException e) {
                if (!c.isClosed() || dev.offload.internal.ExceptionRebuilder.isRemote(e)) {
                    throw e; // not ours, or thrown by the function itself (it ran)
                }
            }
        }
    }

    /**
     * Statistics of the default context (zeros if it has not started).
     *
     * @return a snapshot of the default context's statistics, all zeros before its first use
     */
    public static WorkerStatistics defaultContextStatistics() {
        WorkerContext c = defaultContext;
        return c == null ? new WorkerStatistics(new long[10]) : c.statistics();
    }

    /**
     * The limiter of every call that names no other: one permit per available processor until changed.
     *
     * @return the process-wide limiter shared by calls whose options name no limiter
     */
    public static Limiter defaultLimiter() {
        return Defaults.limiter();
    }

    /**
     * Runs {@code fn} in a worker and waits for its result (see the class documentation).
     *
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <R, X extends Exception> R runSync(Fn0<R, X> fn) throws X {
        return runOnDefault(CallOptions.DEFAULT, fn, new Object[0]);
    }

    /**
     * Like {@link #runSync(Fn0)} with per-call options.
     *
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <R, X extends Exception> R runSync(CallOptions options, Fn0<R, X> fn) throws X {
        return runOnDefault(options, fn, new Object[0]);
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <R> CompletableFuture<R> submit(Fn0<R, ?> fn) {
        return startOnDefault(CallOptions.DEFAULT, fn, new Object[0]);
    }

    /**
     * Like {@link #submit(Fn0)} with per-call options.
     *
     * @param <R> the type of the result of {@code fn}
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <R> CompletableFuture<R> submit(CallOptions options, Fn0<R, ?> fn) {
        return startOnDefault(options, fn, new Object[0]);
    }

    /**
     * Runs {@code fn} with its argument in a worker and waits for its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, R, X extends Exception> R runSync(Fn1<A, R, X> fn, A a) throws X {
        return runOnDefault(CallOptions.DEFAULT, fn, new Object[] {a});
    }

    /**
     * Like {@link #runSync(Fn1, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, R, X extends Exception> R runSync(CallOptions options, Fn1<A, R, X> fn, A a) throws X {
        return runOnDefault(options, fn, new Object[] {a});
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, R> CompletableFuture<R> submit(Fn1<A, R, ?> fn, A a) {
        return startOnDefault(CallOptions.DEFAULT, fn, new Object[] {a});
    }

    /**
     * Like {@link #submit(Fn1, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <R> the type of the result of {@code fn}
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, R> CompletableFuture<R> submit(CallOptions options, Fn1<A, R, ?> fn, A a) {
        return startOnDefault(options, fn, new Object[] {a});
    }

    /**
     * Runs {@code fn} with its arguments in a worker and waits for its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, R, X extends Exception> R runSync(Fn2<A, B, R, X> fn, A a, B b) throws X {
        return runOnDefault(CallOptions.DEFAULT, fn, new Object[] {a, b});
    }

    /**
     * Like {@link #runSync(Fn2, Object, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, R, X extends Exception> R runSync(CallOptions options, Fn2<A, B, R, X> fn, A a, B b) throws X {
        return runOnDefault(options, fn, new Object[] {a, b});
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, R> CompletableFuture<R> submit(Fn2<A, B, R, ?> fn, A a, B b) {
        return startOnDefault(CallOptions.DEFAULT, fn, new Object[] {a, b});
    }

    /**
     * Like {@link #submit(Fn2, Object, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <R> the type of the result of {@code fn}
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, R> CompletableFuture<R> submit(CallOptions options, Fn2<A, B, R, ?> fn, A a, B b) {
        return startOnDefault(options, fn, new Object[] {a, b});
    }

    /**
     * Runs {@code fn} with its arguments in a worker and waits for its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <C> the type of the third argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @param c the third argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, C, R, X extends Exception> R runSync(Fn3<A, B, C, R, X> fn, A a, B b, C c) throws X {
        return runOnDefault(CallOptions.DEFAULT, fn, new Object[] {a, b, c});
    }

    /**
     * Like {@link #runSync(Fn3, Object, Object, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <C> the type of the third argument
     * @param <R> the type of the result of {@code fn}
     * @param <X> the checked exception {@code fn} declares
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @param c the third argument of {@code fn}, encoded here and decoded in the worker
     * @return the value {@code fn} returned in the worker
     * @throws X the checked exception {@code fn} threw, rethrown as itself
     * @throws RemoteTaskException if {@code fn} threw an exception whose type cannot be rebuilt here
     * @throws BrokenWorkerException if the worker dies during the call
     * @throws java.util.concurrent.CancellationException if the calling thread is interrupted while it waits (its
     *     interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, C, R, X extends Exception> R runSync(CallOptions options, Fn3<A, B, C, R, X> fn, A a, B b, C c) throws X {
        return runOnDefault(options, fn, new Object[] {a, b, c});
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <C> the type of the third argument
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @param c the third argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, C, R> CompletableFuture<R> submit(Fn3<A, B, C, R, ?> fn, A a, B b, C c) {
        return startOnDefault(CallOptions.DEFAULT, fn, new Object[] {a, b, c});
    }

    /**
     * Like {@link #submit(Fn3, Object, Object, Object)} with per-call options.
     *
     * @param <A> the type of the first argument
     * @param <B> the type of the second argument
     * @param <C> the type of the third argument
     * @param <R> the type of the result of {@code fn}
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @param b the second argument of {@code fn}, encoded here and decoded in the worker
     * @param c the third argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws or a
     *     {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     */
    public static <A, B, C, R> CompletableFuture<R> submit(CallOptions options, Fn3<A, B, C, R, ?> fn, A a, B b, C c) {
        return startOnDefault(options, fn, new Object[] {a, b, c});
    }
}
