package dev.offload.coroutines

import dev.offload.Limiter
import dev.offload.WorkerContext
import dev.offload.coroutines.internal.callInWorker
import kotlin.reflect.KSuspendFunction0
import kotlin.reflect.KSuspendFunction1
import kotlin.reflect.KSuspendFunction2
import kotlin.reflect.KSuspendFunction3
import kotlin.reflect.typeOf

/*
 * runSync: the suspending way to run a function in a worker JVM. One overload per arity (0..3), all inline so
 * the argument and result types are reified and their kotlinx serializers chosen here, at the call site.
 */

/**
 * Runs [fn] in a worker JVM and suspends until its result is back.
 *
 * [fn] is a function reference: a top-level function (`::fib`), a member of an `object` or companion
 * (`Fns::fib`), or an unbound member (`Point::norm`, receiver first); `@JvmName`, `@JvmStatic` and value-class
 * parameters are fine. Lambdas, local functions, references bound to ordinary instances and `suspend` functions
 * are refused here, before any worker is touched, as is an argument or result type without a kotlinx serializer.
 *
 * The call runs in [context] if given, else in the context of the enclosing [withWorkerContext], else in the
 * process-wide default context (the one Java's `Offload` uses).
 *
 * ```kotlin
 * val n = runSync(::fib, 35)
 * val img = withTimeout(2.seconds) { runSync(::render, scene) }   // the worker is killed on timeout
 * ```
 *
 * Cancellation (including `withTimeout`): with [killOnCancel] (default) the worker is SIGKILLed and reaped,
 * then this throws `CancellationException` (prompt cancellation: it throws even if the result arrived
 * meanwhile). With `killOnCancel = false` the call finishes in its worker, its result is dropped, and the
 * cancellation is delivered when it returns. A coroutine cancelled before it reaches a worker never touches one.
 * Works under `runTest`: the worker runs in real time, so virtual-time timeouts fire before it answers.
 *
 * Pitfalls: the worker sees only this JVM's classpath; global state in a worker survives between its calls.
 *
 * @param killOnCancel whether cancellation kills the worker (default) or lets the call finish.
 * @param limiter the limiter that admits the call; `null` for the default one (one permit per processor).
 * @param format the payload format; `null` for the enclosing scope's, else [PayloadFormat.Json].
 * @param context an explicit worker context; it is never overridden by an enclosing scope.
 * @return what [fn] returned.
 * @throws dev.offload.BrokenWorkerException if the worker died, was killed from outside or broke the protocol.
 * @throws IllegalArgumentException if [fn] is not addressable or a type has no serializer.
 */
public suspend inline fun <reified R> runSync(
    noinline fn: () -> R,
    killOnCancel: Boolean = true,
    limiter: Limiter? = null,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
): R = callInWorker(fn, arrayOf(), listOf(), typeOf<R>(), killOnCancel, limiter, format, context, callerWaits = true) as R

/** A `suspend` function cannot run in a worker: this overload exists to say so at compile time. */
@Deprecated(
    "A suspend function cannot run in a worker, which runs blocking code. Make it a regular fun; runSync is the " +
        "suspending part.",
    level = DeprecationLevel.ERROR,
)
public suspend fun <R> runSync(
    fn: KSuspendFunction0<R>,
): R = throw UnsupportedOperationException("suspend functions cannot run in a worker: " + fn)

/**
 * Runs [fn] in a worker JVM and suspends until its result is back.
 *
 * [fn] is a function reference: a top-level function (`::fib`), a member of an `object` or companion
 * (`Fns::fib`), or an unbound member (`Point::norm`, receiver first); `@JvmName`, `@JvmStatic` and value-class
 * parameters are fine. Lambdas, local functions, references bound to ordinary instances and `suspend` functions
 * are refused here, before any worker is touched, as is an argument or result type without a kotlinx serializer.
 *
 * The call runs in [context] if given, else in the context of the enclosing [withWorkerContext], else in the
 * process-wide default context (the one Java's `Offload` uses).
 *
 * ```kotlin
 * val n = runSync(::fib, 35)
 * val img = withTimeout(2.seconds) { runSync(::render, scene) }   // the worker is killed on timeout
 * ```
 *
 * Cancellation (including `withTimeout`): with [killOnCancel] (default) the worker is SIGKILLed and reaped,
 * then this throws `CancellationException` (prompt cancellation: it throws even if the result arrived
 * meanwhile). With `killOnCancel = false` the call finishes in its worker, its result is dropped, and the
 * cancellation is delivered when it returns. A coroutine cancelled before it reaches a worker never touches one.
 * Works under `runTest`: the worker runs in real time, so virtual-time timeouts fire before it answers.
 *
 * Pitfalls: the worker sees only this JVM's classpath; global state in a worker survives between its calls.
 *
 * @param killOnCancel whether cancellation kills the worker (default) or lets the call finish.
 * @param limiter the limiter that admits the call; `null` for the default one (one permit per processor).
 * @param format the payload format; `null` for the enclosing scope's, else [PayloadFormat.Json].
 * @param context an explicit worker context; it is never overridden by an enclosing scope.
 * @return what [fn] returned.
 * @throws dev.offload.BrokenWorkerException if the worker died, was killed from outside or broke the protocol.
 * @throws IllegalArgumentException if [fn] is not addressable or a type has no serializer.
 */
public suspend inline fun <reified A, reified R> runSync(
    noinline fn: (A) -> R,
    a: A,
    killOnCancel: Boolean = true,
    limiter: Limiter? = null,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
): R = callInWorker(fn, arrayOf(a), listOf(typeOf<A>()), typeOf<R>(), killOnCancel, limiter, format, context, callerWaits = true) as R

/** A `suspend` function cannot run in a worker: this overload exists to say so at compile time. */
@Deprecated(
    "A suspend function cannot run in a worker, which runs blocking code. Make it a regular fun; runSync is the " +
        "suspending part.",
    level = DeprecationLevel.ERROR,
)
public suspend fun <A, R> runSync(
    fn: KSuspendFunction1<A, R>,
    a: A,
): R = throw UnsupportedOperationException("suspend functions cannot run in a worker: " + fn)

/**
 * Runs [fn] in a worker JVM and suspends until its result is back.
 *
 * [fn] is a function reference: a top-level function (`::fib`), a member of an `object` or companion
 * (`Fns::fib`), or an unbound member (`Point::norm`, receiver first); `@JvmName`, `@JvmStatic` and value-class
 * parameters are fine. Lambdas, local functions, references bound to ordinary instances and `suspend` functions
 * are refused here, before any worker is touched, as is an argument or result type without a kotlinx serializer.
 *
 * The call runs in [context] if given, else in the context of the enclosing [withWorkerContext], else in the
 * process-wide default context (the one Java's `Offload` uses).
 *
 * ```kotlin
 * val n = runSync(::fib, 35)
 * val img = withTimeout(2.seconds) { runSync(::render, scene) }   // the worker is killed on timeout
 * ```
 *
 * Cancellation (including `withTimeout`): with [killOnCancel] (default) the worker is SIGKILLed and reaped,
 * then this throws `CancellationException` (prompt cancellation: it throws even if the result arrived
 * meanwhile). With `killOnCancel = false` the call finishes in its worker, its result is dropped, and the
 * cancellation is delivered when it returns. A coroutine cancelled before it reaches a worker never touches one.
 * Works under `runTest`: the worker runs in real time, so virtual-time timeouts fire before it answers.
 *
 * Pitfalls: the worker sees only this JVM's classpath; global state in a worker survives between its calls.
 *
 * @param killOnCancel whether cancellation kills the worker (default) or lets the call finish.
 * @param limiter the limiter that admits the call; `null` for the default one (one permit per processor).
 * @param format the payload format; `null` for the enclosing scope's, else [PayloadFormat.Json].
 * @param context an explicit worker context; it is never overridden by an enclosing scope.
 * @return what [fn] returned.
 * @throws dev.offload.BrokenWorkerException if the worker died, was killed from outside or broke the protocol.
 * @throws IllegalArgumentException if [fn] is not addressable or a type has no serializer.
 */
public suspend inline fun <reified A, reified B, reified R> runSync(
    noinline fn: (A, B) -> R,
    a: A,
    b: B,
    killOnCancel: Boolean = true,
    limiter: Limiter? = null,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
): R = callInWorker(fn, arrayOf(a, b), listOf(typeOf<A>(), typeOf<B>()), typeOf<R>(), killOnCancel, limiter, format, context, callerWaits = true) as R

/** A `suspend` function cannot run in a worker: this overload exists to say so at compile time. */
@Deprecated(
    "A suspend function cannot run in a worker, which runs blocking code. Make it a regular fun; runSync is the " +
        "suspending part.",
    level = DeprecationLevel.ERROR,
)
public suspend fun <A, B, R> runSync(
    fn: KSuspendFunction2<A, B, R>,
    a: A,
    b: B,
): R = throw UnsupportedOperationException("suspend functions cannot run in a worker: " + fn)

/**
 * Runs [fn] in a worker JVM and suspends until its result is back.
 *
 * [fn] is a function reference: a top-level function (`::fib`), a member of an `object` or companion
 * (`Fns::fib`), or an unbound member (`Point::norm`, receiver first); `@JvmName`, `@JvmStatic` and value-class
 * parameters are fine. Lambdas, local functions, references bound to ordinary instances and `suspend` functions
 * are refused here, before any worker is touched, as is an argument or result type without a kotlinx serializer.
 *
 * The call runs in [context] if given, else in the context of the enclosing [withWorkerContext], else in the
 * process-wide default context (the one Java's `Offload` uses).
 *
 * ```kotlin
 * val n = runSync(::fib, 35)
 * val img = withTimeout(2.seconds) { runSync(::render, scene) }   // the worker is killed on timeout
 * ```
 *
 * Cancellation (including `withTimeout`): with [killOnCancel] (default) the worker is SIGKILLed and reaped,
 * then this throws `CancellationException` (prompt cancellation: it throws even if the result arrived
 * meanwhile). With `killOnCancel = false` the call finishes in its worker, its result is dropped, and the
 * cancellation is delivered when it returns. A coroutine cancelled before it reaches a worker never touches one.
 * Works under `runTest`: the worker runs in real time, so virtual-time timeouts fire before it answers.
 *
 * Pitfalls: the worker sees only this JVM's classpath; global state in a worker survives between its calls.
 *
 * @param killOnCancel whether cancellation kills the worker (default) or lets the call finish.
 * @param limiter the limiter that admits the call; `null` for the default one (one permit per processor).
 * @param format the payload format; `null` for the enclosing scope's, else [PayloadFormat.Json].
 * @param context an explicit worker context; it is never overridden by an enclosing scope.
 * @return what [fn] returned.
 * @throws dev.offload.BrokenWorkerException if the worker died, was killed from outside or broke the protocol.
 * @throws IllegalArgumentException if [fn] is not addressable or a type has no serializer.
 */
public suspend inline fun <reified A, reified B, reified C, reified R> runSync(
    noinline fn: (A, B, C) -> R,
    a: A,
    b: B,
    c: C,
    killOnCancel: Boolean = true,
    limiter: Limiter? = null,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
): R = callInWorker(fn, arrayOf(a, b, c), listOf(typeOf<A>(), typeOf<B>(), typeOf<C>()), typeOf<R>(), killOnCancel, limiter, format, context, callerWaits = true) as R

/** A `suspend` function cannot run in a worker: this overload exists to say so at compile time. */
@Deprecated(
    "A suspend function cannot run in a worker, which runs blocking code. Make it a regular fun; runSync is the " +
        "suspending part.",
    level = DeprecationLevel.ERROR,
)
public suspend fun <A, B, C, R> runSync(
    fn: KSuspendFunction3<A, B, C, R>,
    a: A,
    b: B,
    c: C,
): R = throw UnsupportedOperationException("suspend functions cannot run in a worker: " + fn)
