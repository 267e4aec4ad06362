package dev.offload;

import dev.offload.internal.CallFuture;
import dev.offload.internal.ContextCore;
import dev.offload.internal.ExceptionRebuilder;
import dev.offload.internal.Secrets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * An isolated cache of worker JVMs that runs functions for you: one call per worker at a time, idle workers
 * reused last-in first-out (a thread gets back the worker it used last while that one is idle) and shut down after
 * the idle timeout. Open one with {@link #open(WorkerConfig)} and close it when done; {@link Offload} runs calls on
 * a process-wide default context.
 *
 * <pre>{@code
 * try (WorkerContext ctx = WorkerContext.open(WorkerConfig.builder().idleTimeout(Duration.ofSeconds(30)).build())) {
 *     long n = ctx.runSync(Fns::fib, 35);                         // blocking
 *     CompletableFuture<Long> f = ctx.submit(Fns::fib, 40);       // asynchronous
 *     f.cancel(true);                                            // SIGKILLs the worker running fib(40)
 * }
 * }</pre>
 *
 * <p><b>Functions</b> are method references to static methods, constructors or unbound instance methods
 * ({@link Fn0} to {@link Fn3}); lambdas and bound references are refused at the call site, as are arguments
 * the codec cannot encode, before any worker is touched.
 *
 * <p><b>Exceptions.</b> What the function throws is rethrown as the same type when that type can be rebuilt
 * here (public, with a public {@code (String)} or {@code (String, Throwable)} constructor), else as
 * {@link RemoteTaskException}; message, remote stack trace and causes are kept and the worker is reused. A
 * checked exception the function declares is thrown by {@code runSync} as itself. {@code submit} futures
 * complete exceptionally with the same exceptions.
 *
 * <p><b>Crashes.</b> A worker that dies during a call ({@code System.exit}, halt, OOM, native crash, SIGKILL)
 * fails that call with {@link BrokenWorkerException}; other calls and the context carry on, and the next call
 * gets a new worker.
 *
 * <p><b>Cancellation.</b> With {@link CallOptions#killOnCancel()} (the default), {@code Future.cancel}, any
 * other external completion of the future (e.g. {@code orTimeout}), or interrupting a thread blocked in
 * {@code runSync}, SIGKILLs the worker at once; it is reaped and never reused, and {@code runSync} throws
 * {@link CancellationException} (with the interrupt status kept) once the worker is gone. With
 * {@code killOnCancel(false)} the call runs to completion in its worker and its result is dropped; an
 * interrupted {@code runSync} waits for that, then throws {@code CancellationException}. A call cancelled
 * while it waits for its {@link Limiter} never touches a worker.
 *
 * <p><b>Printing.</b> What the function writes to {@code System.out} and {@code System.err} appears on this
 * JVM's {@code System.out} and {@code System.err}, before the call returns. It cannot corrupt the protocol.
 *
 * <p>Pitfalls: global state in a worker survives between calls on that worker but not across workers; do not
 * rely on it unless you control retirement. Workers see the module path and class path of this JVM
 * ({@code jdk.module.path}, {@code java.class.path}), all on their class path, and the local jars and directories of
 * the {@link java.net.URLClassLoader}s that loaded Offload or that are the context class loader of the thread opening
 * the context (so a program run by {@code mvn exec:java} works as it is). Classes of other class loaders need
 * {@link WorkerConfig.Builder#extraClasspath}. A named module that passes method references to Offload must open
 * their package to {@code dev.offload}.
 *
 * <p>Thread-safe: any number of threads may call one context.
 */
public final class WorkerContext implements AutoCloseable {
    static {
        Secrets.register(new Secrets.Exceptions() {
            @Override
            public BrokenWorkerException broken(String message, long pid, Integer exitCode, String signal,
                    String stderrTail, Throwable cause) {
                return new BrokenWorkerException(message, pid, exitCode, signal, stderrTail, cause);
            }

            @Override
            public RemoteTaskException remote(String remoteClassName, String remoteMessage, Throwable cause) {
                return new RemoteTaskException(remoteClassName, remoteMessage, cause);
            }

            @Override
            public MapFailedException mapFailed(String message, List<Outcome<?, ?>> failures) {
                return new MapFailedException(message, failures);
            }
        });
    }

    static {
        Secrets.registerCores(WorkerContext::core);
    }

    private static final long SETTLE_TIMEOUT_SECONDS = 30;

    private final ContextCore core;

    private WorkerContext(ContextCore core) {
        this.core = core;
    }

    /**
     * Opens a context with its own worker cache. Starts {@link WorkerConfig#prestart()} workers in the
     * background; otherwise no process starts until the first call.
     *
     * @param config the configuration of this context's workers
     * @return the new context, open until {@link #close()}
     */
    public static WorkerContext open(WorkerConfig config) {
        java.util.Objects.requireNonNull(config, "config");
        return new WorkerContext(new ContextCore(config));
    }

    /**
     * Opens a context with {@link WorkerConfig#defaults()}.
     *
     * @return the new context, open until {@link #close()}
     */
    public static WorkerContext open() {
        return open(WorkerConfig.defaults());
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <R, X extends Exception> R runSync(Fn0<R, X> fn) throws X {
        return this.run(CallOptions.DEFAULT, fn, new Object[0]);
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <R, X extends Exception> R runSync(CallOptions options, Fn0<R, X> fn) throws X {
        return this.run(options, fn, new Object[0]);
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <R> CompletableFuture<R> submit(Fn0<R, ?> fn) {
        return this.start(CallOptions.DEFAULT, fn, new Object[0]);
    }

    /**
     * Like {@link #submit(Fn0)} with per-call options.
     *
     * @param <R> the type of the result of {@code fn}
     * @param options the options of this call: what cancelling it does, the limiter that admits it and the codec of its
     *     values
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <R> CompletableFuture<R> submit(CallOptions options, Fn0<R, ?> fn) {
        return this.start(options, fn, new Object[0]);
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, R, X extends Exception> R runSync(Fn1<A, R, X> fn, A a) throws X {
        return this.run(CallOptions.DEFAULT, fn, new Object[] {a});
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, R, X extends Exception> R runSync(CallOptions options, Fn1<A, R, X> fn, A a) throws X {
        return this.run(options, fn, new Object[] {a});
    }

    /**
     * Starts {@code fn} in a worker; the future completes with its result (see the class documentation).
     *
     * @param <A> the type of the first argument
     * @param <R> the type of the result of {@code fn}
     * @param fn the function to run in a worker: a method reference to a static method, a constructor or an unbound
     *     instance method, capturing nothing
     * @param a the first argument of {@code fn}, encoded here and decoded in the worker
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, R> CompletableFuture<R> submit(Fn1<A, R, ?> fn, A a) {
        return this.start(CallOptions.DEFAULT, fn, new Object[] {a});
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
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, R> CompletableFuture<R> submit(CallOptions options, Fn1<A, R, ?> fn, A a) {
        return this.start(options, fn, new Object[] {a});
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, B, R, X extends Exception> R runSync(Fn2<A, B, R, X> fn, A a, B b) throws X {
        return this.run(CallOptions.DEFAULT, fn, new Object[] {a, b});
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, B, R, X extends Exception> R runSync(CallOptions options, Fn2<A, B, R, X> fn, A a, B b) throws X {
        return this.run(options, fn, new Object[] {a, b});
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
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, B, R> CompletableFuture<R> submit(Fn2<A, B, R, ?> fn, A a, B b) {
        return this.start(CallOptions.DEFAULT, fn, new Object[] {a, b});
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
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, B, R> CompletableFuture<R> submit(CallOptions options, Fn2<A, B, R, ?> fn, A a, B b) {
        return this.start(options, fn, new Object[] {a, b});
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, B, C, R, X extends Exception> R runSync(Fn3<A, B, C, R, X> fn, A a, B b, C c) throws X {
        return this.run(CallOptions.DEFAULT, fn, new Object[] {a, b, c});
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
     * @throws CancellationException if the calling thread is interrupted while it waits (its interrupt status is kept)
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed, or a codec fails in the worker or here (arguments it
     *     cannot decode, a result it cannot encode or decode); the message names the function
     */
    public <A, B, C, R, X extends Exception> R runSync(CallOptions options, Fn3<A, B, C, R, X> fn, A a, B b, C c) throws X {
        return this.run(options, fn, new Object[] {a, b, c});
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
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, B, C, R> CompletableFuture<R> submit(Fn3<A, B, C, R, ?> fn, A a, B b, C c) {
        return this.start(CallOptions.DEFAULT, fn, new Object[] {a, b, c});
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
     * @return a future completed with the value {@code fn} returns, or exceptionally with what it throws (a
     *     {@code CancellationException} it throws inside a {@code CompletionException}, so that the future does not
     *     count as cancelled) or a {@link BrokenWorkerException}; cancelling it kills the worker when {@code options.killOnCancel()}
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker or an argument cannot be encoded, before
     *     any worker is touched
     * @throws IllegalStateException if this context is closed
     */
    public <A, B, C, R> CompletableFuture<R> submit(CallOptions options, Fn3<A, B, C, R, ?> fn, A a, B b, C c) {
        return this.start(options, fn, new Object[] {a, b, c});
    }

    /**
     * Applies {@code fn} to every input in worker JVMs (or another backend), lazily: the input is read and tasks
     * started only as you consume results, at most a sliding window of items in flight. Results come in input order
     * unless {@link MapOptions.Builder#ordered(boolean) ordered(false)}.
     *
     * <pre>{@code
     * try (MapIterator<Long> results = ctx.map(Fns::fib, inputs, MapOptions.builder().concurrency(4).build())) {
     *     results.forEachRemaining(System.out::println);
     * }
     * }</pre>
     *
     * <p>Errors: by default the first failure stops the map (no more input is read, tasks in flight are cancelled)
     * and is thrown from {@code next()} as itself; {@link MapOptions.Errors#COLLECT} runs everything and throws one
     * {@link MapFailedException}; {@link #mapOutcomes} gives one {@link Outcome} per item instead. A worker that dies
     * fails only its item ({@link BrokenWorkerException}); a task past {@code taskTimeout} fails with a
     * {@code TimeoutException} and its worker is killed and replaced. Closing the iterator early cancels the tasks
     * in flight.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, read lazily as results are consumed
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker (before any input is read)
     */
    public <T, R> MapIterator<R> map(Fn1<T, R, ?> fn, Iterator<? extends T> input, MapOptions options) {
        return new MapRun<T, R, R>(input(input), -1, MapBackends.open(this, fn, options), options, false);
    }

    /**
     * {@link #map(Fn1, Iterator, MapOptions)} over an iterable; a collection's size is reported as the total.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<R> map(Fn1<T, R, ?> fn, Iterable<? extends T> input, MapOptions options) {
        return new MapRun<T, R, R>(input(input).iterator(), MapRun.sizeOf(input), MapBackends.open(this, fn, options),
                options, false);
    }

    /**
     * {@link #map(Fn1, Iterator, MapOptions)} over a stream (read lazily; its exact size, if known, is the total).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, read lazily as results are consumed; the stream's exact size, if known, is reported as
     *     the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<R> map(Fn1<T, R, ?> fn, Stream<? extends T> input, MapOptions options) {
        java.util.Spliterator<? extends T> s = input(input).spliterator();
        long size = s.hasCharacteristics(java.util.Spliterator.SIZED) ? s.getExactSizeIfKnown() : -1;
        return new MapRun<T, R, R>(java.util.Spliterators.iterator(s), size, MapBackends.open(this, fn, options),
                options, false);
    }

    /**
     * {@link #map(Fn1, Iterable, MapOptions)} with {@link MapOptions#DEFAULT}.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<R> map(Fn1<T, R, ?> fn, Iterable<? extends T> input) {
        return map(fn, input, MapOptions.DEFAULT);
    }

    /**
     * Maps every input and returns the results as a list (in input order unless unordered).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items to map
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return every result, in input order unless the options make the map unordered
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     * @throws MapFailedException if items failed and the options collect errors; otherwise the first failure is thrown
     *     as itself
     */
    public <T, R> List<R> mapAll(Fn1<T, R, ?> fn, Iterable<? extends T> input, MapOptions options) {
        List<R> out = new ArrayList<>();
        try (MapIterator<R> it = map(fn, input, options)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /**
     * {@link #mapAll(Fn1, Iterable, MapOptions)} with {@link MapOptions#DEFAULT}.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items to map
     * @return every result, in input order unless the options make the map unordered
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     * @throws MapFailedException if items failed and the options collect errors; otherwise the first failure is thrown
     *     as itself
     */
    public <T, R> List<R> mapAll(Fn1<T, R, ?> fn, Iterable<? extends T> input) {
        return mapAll(fn, input, MapOptions.DEFAULT);
    }

    /**
     * Like {@link #map(Fn1, Iterable, MapOptions)}, but every item gives an {@link Outcome}; nothing is thrown for an item
     * (the options' {@code errors} and {@code maxFailures} do not apply).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator with one {@link Outcome} per item, success or failure
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<Outcome<T, R>> mapOutcomes(Fn1<T, R, ?> fn, Iterable<? extends T> input,
            MapOptions options) {
        return new MapRun<T, R, Outcome<T, R>>(input(input).iterator(), MapRun.sizeOf(input),
                MapBackends.open(this, fn, options), options, true);
    }

    /**
     * Like {@link #map(Fn1, Iterator, MapOptions)}, but every item gives an {@link Outcome}
     * (the options' {@code errors} and {@code maxFailures} do not apply).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, read lazily as results are consumed
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator with one {@link Outcome} per item, success or failure
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<Outcome<T, R>> mapOutcomes(Fn1<T, R, ?> fn, Iterator<? extends T> input,
            MapOptions options) {
        return new MapRun<T, R, Outcome<T, R>>(input(input), -1, MapBackends.open(this, fn, options), options, true);
    }

    /**
     * Like {@link #map(Fn1, Stream, MapOptions)}, but every item gives an {@link Outcome}
     * (the options' {@code errors} and {@code maxFailures} do not apply).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, read lazily as results are consumed; the stream's exact size, if known, is reported as
     *     the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator with one {@link Outcome} per item, success or failure
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<Outcome<T, R>> mapOutcomes(Fn1<T, R, ?> fn, Stream<? extends T> input,
            MapOptions options) {
        java.util.Spliterator<? extends T> s = input(input).spliterator();
        long size = s.hasCharacteristics(java.util.Spliterator.SIZED) ? s.getExactSizeIfKnown() : -1;
        return new MapRun<T, R, Outcome<T, R>>(java.util.Spliterators.iterator(s), size,
                MapBackends.open(this, fn, options), options, true);
    }

    /**
     * {@link #mapOutcomes(Fn1, Iterable, MapOptions)} with {@link MapOptions#DEFAULT}.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param fn the function applied to each item by the backend: a method reference to a static method, a constructor
     *     or an unbound instance method, capturing nothing
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @return an iterator with one {@link Outcome} per item, success or failure
     * @throws IllegalArgumentException if {@code fn} cannot run in a worker, before any input is read
     */
    public <T, R> MapIterator<Outcome<T, R>> mapOutcomes(Fn1<T, R, ?> fn, Iterable<? extends T> input) {
        return mapOutcomes(fn, input, MapOptions.DEFAULT);
    }

    /**
     * Maps with a {@link StatefulTask}: each slot's worker creates its state once ({@code init}), applies every item
     * it gets to that state, and closes it when the map ends. Otherwise like {@link #map(Fn1, Iterator, MapOptions)}
     * (window, order, errors, timeouts, backends). What the task's {@code close} throws is thrown when the map ends.
     * The map ends when its last result has been taken or it is closed: until then each slot's worker stays pinned
     * to it ({@link WorkerStatistics#pinnedWorkers()}), so close an iterator you stop reading early (try with
     * resources); one dropped unclosed holds its workers until the context closes.
     *
     * <pre>{@code
     * var task = StatefulTask.of(Models::load, Models::predict, List.of("cuda:0", "cuda:1")).onClose(Model::close);
     * try (MapIterator<Label> labels = ctx.map(task, images.iterator(), MapOptions.DEFAULT)) { ... }
     * }</pre>
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param task the stateful task: how each slot creates its state, applies an item to it and, optionally, closes it
     * @param input the items, read lazily as results are consumed
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if a function cannot run in a worker, or the options' concurrency disagrees
     *     with the task's slot arguments (before any input is read)
     */
    public <T, R> MapIterator<R> map(StatefulTask<?, ?, T, R> task, Iterator<? extends T> input, MapOptions options) {
        return new MapRun<T, R, R>(input(input), -1, MapBackends.openStateful(this, task, options), options, false);
    }

    /**
     * {@link #map(StatefulTask, Iterator, MapOptions)} over an iterable (a collection's size is the total).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param task the stateful task: how each slot creates its state, applies an item to it and, optionally, closes it
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if a function of the task cannot run in a worker, or the options' concurrency
     *     disagrees with the task's slot arguments, before any input is read
     */
    public <T, R> MapIterator<R> map(StatefulTask<?, ?, T, R> task, Iterable<? extends T> input, MapOptions options) {
        return new MapRun<T, R, R>(input(input).iterator(), MapRun.sizeOf(input), MapBackends.openStateful(this, task,
                options), options, false);
    }

    /**
     * {@link #map(StatefulTask, Iterator, MapOptions)} over a stream, read lazily.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param task the stateful task: how each slot creates its state, applies an item to it and, optionally, closes it
     * @param input the items, read lazily as results are consumed; the stream's exact size, if known, is reported as
     *     the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator over the results; close it to stop the map early
     * @throws IllegalArgumentException if a function of the task cannot run in a worker, or the options' concurrency
     *     disagrees with the task's slot arguments, before any input is read
     */
    public <T, R> MapIterator<R> map(StatefulTask<?, ?, T, R> task, Stream<? extends T> input, MapOptions options) {
        java.util.Spliterator<? extends T> s = input(input).spliterator();
        long size = s.hasCharacteristics(java.util.Spliterator.SIZED) ? s.getExactSizeIfKnown() : -1;
        return new MapRun<T, R, R>(java.util.Spliterators.iterator(s), size, MapBackends.openStateful(this, task,
                options), options, false);
    }

    /**
     * {@link #map(StatefulTask, Iterable, MapOptions)} collected into a list.
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param task the stateful task: how each slot creates its state, applies an item to it and, optionally, closes it
     * @param input the items to map
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return every result, in input order unless the options make the map unordered
     * @throws IllegalArgumentException if a function of the task cannot run in a worker, or the options' concurrency
     *     disagrees with the task's slot arguments, before any input is read
     * @throws MapFailedException if items failed and the options collect errors; otherwise the first failure is thrown
     *     as itself
     */
    public <T, R> List<R> mapAll(StatefulTask<?, ?, T, R> task, Iterable<? extends T> input, MapOptions options) {
        List<R> out = new ArrayList<>();
        try (MapIterator<R> it = map(task, input, options)) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /**
     * Like {@link #map(StatefulTask, Iterable, MapOptions)}, but every item gives an {@link Outcome}
     * (the options' {@code errors} and {@code maxFailures} do not apply).
     *
     * @param <T> the type of the input items
     * @param <R> the type of the results
     * @param task the stateful task: how each slot creates its state, applies an item to it and, optionally, closes it
     * @param input the items, iterated lazily as results are consumed; a collection's size is reported as the total
     * @param options how the map runs: concurrency, window, order, error handling, task timeout, backend and progress
     *     reports
     * @return an iterator with one {@link Outcome} per item, success or failure
     * @throws IllegalArgumentException if a function of the task cannot run in a worker, or the options' concurrency
     *     disagrees with the task's slot arguments, before any input is read
     */
    public <T, R> MapIterator<Outcome<T, R>> mapOutcomes(StatefulTask<?, ?, T, R> task, Iterable<? extends T> input,
            MapOptions options) {
        return new MapRun<T, R, Outcome<T, R>>(input(input).iterator(), MapRun.sizeOf(input),
                MapBackends.openStateful(this, task, options), options, true);
    }

    /**
     * Starts workers until at least {@code workers} are idle, and waits for them, so the next calls skip the
     * JVM start-up. A call made meanwhile (from another thread) takes the first of them that is up, rather than
     * starting one more worker; fewer may then be idle when this returns. If the calling thread is interrupted,
     * this returns at once with the interrupt status set, and the starts go on.
     *
     * @param workers how many idle workers to have ready
     * @throws IllegalArgumentException if {@code workers} is negative
     * @throws BrokenWorkerException if a worker fails to start (or its init throws)
     * @throws IllegalStateException if the context is closed
     */
    public void prestart(int workers) {
        core.prestart(workers);
    }

    /**
     * Idle workers and running calls now, and what this context has done so far.
     *
     * @return a snapshot of this context's counters and gauges
     */
    public WorkerStatistics statistics() {
        return new WorkerStatistics(core.statistics());
    }

    /**
     * The configuration this context was opened with.
     *
     * @return the configuration given to {@link #open(WorkerConfig)}
     */
    public WorkerConfig config() {
        return core.config();
    }

    /**
     * Whether {@link #close()} has been called.
     *
     * @return {@code true} once {@link #close()} has been called, even if it has not returned yet
     */
    public boolean isClosed() {
        return core.isClosed();
    }

    /**
     * Closes the context. New calls fail with {@link IllegalStateException}; calls still waiting for a permit
     * fail the same way; idle workers get EOF on stdin and exit; running calls may finish within the grace
     * period, after which every worker still alive is SIGKILLed (its call fails with
     * {@link BrokenWorkerException}). Returns when every worker has exited and been reaped. Calling it again
     * waits for the first close and returns.
     *
     * <p>As {@code ExecutorService.close()}: if the calling thread is interrupted (before or while it waits for
     * running calls), the running calls' workers are killed at once instead of after the grace period (their calls
     * fail with {@link BrokenWorkerException} saying so), idle workers still exit in their own time, and the interrupt
     * status is set again when this returns. Those kills are not reported as a failed shutdown.
     *
     * @throws BrokenWorkerException aggregating the workers that exited with a nonzero code or had to be
     *     killed ("graceful shutdown failed: 1 nonzero exit code and 1 forced kill"), each as a suppressed exception
     */
    @Override
    public void close() {
        core.close();
    }

    @Override
    public String toString() {
        return "WorkerContext(" + statistics() + ", " + core.config() + ")";
    }

    ContextCore core() {
        return core;
    }

    @SuppressWarnings("unchecked")
    <R> CompletableFuture<R> start(CallOptions options, Object fn, Object[] args) {
        java.util.Objects.requireNonNull(options, "options");
        return (CompletableFuture<R>) (CompletableFuture<?>) core.submit(fn, args, options, false);
    }

    /** A map's input, which must not be null. */
    private static <I> I input(I input) {
        return java.util.Objects.requireNonNull(input, "input must not be null; pass an empty collection for none");
    }

    @SuppressWarnings("unchecked")
    <R, X extends Exception> R run(CallOptions options, Object fn, Object[] args) throws X {
        java.util.Objects.requireNonNull(options, "options");
        CallFuture<Object> f = core.submit(fn, args, options, true, true);
        try {
            core.awaitReply(f);
            return (R) f.get();
        } catch (InterruptedException e) {
            if (!f.cancel(true) && !f.isCancelled()) { // it completed meanwhile: deliver that, keep the interrupt
                Thread.currentThread().interrupt();
                return (R) outcome(f);
            }
            if (!f.neverRan()) { // else it never reached a worker and never will: nothing to wait for
                awaitSettledUninterruptibly(f);
            }
            Thread.currentThread().interrupt();
            String fate = f.abandonedFate();
            // After the wait, started() says it too (it may have been cancelled on another thread, before neverRan).
            CancellationException c = new CancellationException(f.neverRan() || !f.started().isDone()
                    ? "interrupted before " + f.functionName() + " reached a worker; it did not run"
                    : "interrupted while running " + f.functionName() + ": " + (fate != null ? fate
                            : f.killOnCancel() ? "its worker was killed"
                            : "it ran to completion and its result was dropped"));
            throw c;
        } catch (ExecutionException e) {
            throw WorkerContext.<RuntimeException>sneaky(ExceptionRebuilder.withCallerFrames(e.getCause(), 1));
        }
    }

    private static <X extends Exception> Object outcome(CallFuture<Object> f) throws X {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw WorkerContext.<RuntimeException>sneaky(ExceptionRebuilder.withCallerFrames(e.getCause(), 2));
        }
    }

    private static void awaitSettledUninterruptibly(CallFuture<?> f) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_TIMEOUT_SECONDS);
        try {
            for (;;) {
                try {
                    long left = f.killOnCancel() ? deadline - System.nanoTime() : Long.MAX_VALUE;
                    f.settled().get(Math.max(0, left), TimeUnit.NANOSECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | TimeoutException e) {
                    return;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
