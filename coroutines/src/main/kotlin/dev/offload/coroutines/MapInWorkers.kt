package dev.offload.coroutines

import dev.offload.MapOptions
import dev.offload.MapProgress
import dev.offload.Outcome
import dev.offload.WorkerContext
import dev.offload.coroutines.internal.mapEngine
import kotlin.reflect.typeOf
import kotlin.time.Duration
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList

/**
 * The `batchSize` of [mapInWorkers] and [mapInWorkersCatching] that lets the map choose how many elements travel
 * together, from how long its batches take: see `MapOptions.Builder.autoBatchSize`.
 */
public const val AUTO_BATCH_SIZE: Int = MapOptions.AUTO_BATCH_SIZE

/**
 * Applies [fn] to every element in worker JVMs, lazily (a cold flow: nothing runs until it is collected), with at
 * most [window] elements in flight. Results come in input order unless `ordered = false`.
 *
 * ```kotlin
 * val sizes: Flow<Long> = files.asFlow().mapInWorkers(::compress, concurrency = 4, taskTimeout = 30.seconds)
 * val firstThree = numbers.asFlow().mapInWorkers(::fib).take(3).toList() // the rest is cancelled, workers killed
 * ```
 *
 * Errors: with [MapOptions.Errors.FAIL_FAST] (default) the first failure cancels everything in flight and is
 * thrown as itself (a suppressed exception's message names the element's index); with [MapOptions.Errors.COLLECT] every element runs and one [dev.offload.MapFailedException]
 * lists the failures in input order (stopping early after [maxFailures], if set: only with `COLLECT`, which it
 * needs); [mapInWorkersCatching] gives one
 * [Outcome] per element instead. A worker that dies fails only its element; an element past [taskTimeout] fails
 * with a `TimeoutException` and its worker is killed and replaced. Cancelling the collector (or `take(n)`)
 * cancels the elements in flight, killing their workers when [killOnCancel]. An exception from the source flow
 * cancels the elements in flight and propagates.
 *
 * @param concurrency elements running at once; `null` for the limiter's capacity (one per processor).
 * @param window elements in flight at most, reorder buffer included; `null` for 2 x concurrency.
 * @param progress gets throttled [MapProgress] snapshots and always a final one (no total for a flow); see
 *   [dev.offload.coroutines.progress.TerminalProgressBar]. A listener that throws ends the map, which cleans up as
 *   for any failure (items in flight cancelled, stateful slots closed, thread pools shut down) and throws the
 *   listener's exception, or adds it to the map's own failure as suppressed.
 * @param backend where elements run: worker JVMs (default), threads of this JVM (for IO-bound work and debugging;
 *   timeouts and cancellation interrupt, nothing is killed) or inline in the collector (one at a time, no timeout).
 *   Custom backends of [dev.offload.MapBackends] are for the Java API.
 * @param batchSize elements that travel to a worker JVM as one request (1: each on its own). For tasks of a few
 *   microseconds, batches spread a call's fixed cost over their elements. A batch starts once it has [batchSize]
 *   elements or the flow ends; the default window becomes 2 x concurrency x [batchSize]; an element that throws
 *   fails alone, but a worker that dies, is killed or runs past [taskTimeout] (which then covers the whole batch)
 *   fails every element of its batch. Only the worker-JVM backend batches. As `MapOptions.Builder.batchSize`.
 *   [AUTO_BATCH_SIZE] lets the map choose as it goes (as `MapOptions.Builder.autoBatchSize`): single elements at
 *   first, doubling while a batch takes under 10 ms, up to 1,024; so only quick elements travel together.
 */
public inline fun <reified T, reified R> Flow<T>.mapInWorkers(
    noinline fn: (T) -> R,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    errors: MapOptions.Errors = MapOptions.Errors.FAIL_FAST,
    maxFailures: Int = 0,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
    batchSize: Int = 1,
): Flow<R> = mapEngine(
    this, fn, typeOf<T>(), typeOf<R>(), concurrency, ordered, window, taskTimeout, errors, maxFailures,
    killOnCancel, format, context, progress, backend = backend, batchSize = batchSize,
).map { it.value() as R }

/** Like [mapInWorkers], but every element gives an [Outcome] (value, or failure with index and input); nothing is thrown for an element. */
public inline fun <reified T, reified R> Flow<T>.mapInWorkersCatching(
    noinline fn: (T) -> R,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
    batchSize: Int = 1,
): Flow<Outcome<T, R>> = mapEngine(
    this, fn, typeOf<T>(), typeOf<R>(), concurrency, ordered, window, taskTimeout, null, 0, killOnCancel, format,
    context, progress, backend = backend, batchSize = batchSize,
).map {
    @Suppress("UNCHECKED_CAST")
    it as Outcome<T, R>
}

/** [mapInWorkers] over a collection, collected into a list. */
public suspend inline fun <reified T, reified R> Iterable<T>.mapInWorkers(
    noinline fn: (T) -> R,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    errors: MapOptions.Errors = MapOptions.Errors.FAIL_FAST,
    maxFailures: Int = 0,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
    batchSize: Int = 1,
): List<R> = mapEngine(
    asFlow(), fn, typeOf<T>(), typeOf<R>(), concurrency, ordered, window, taskTimeout, errors, maxFailures,
    killOnCancel, format, context, progress, (this as? Collection<*>)?.size?.toLong() ?: -1L, backend, batchSize,
).map { it.value() as R }.toList()

/**
 * [mapInWorkersCatching] over a collection, collected into a list: one [Outcome] per element, in input order unless
 * `ordered = false`. Java's `WorkerContext.mapOutcomes`.
 */
public suspend inline fun <reified T, reified R> Iterable<T>.mapInWorkersCatching(
    noinline fn: (T) -> R,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
    batchSize: Int = 1,
): List<Outcome<T, R>> = mapEngine(
    asFlow(), fn, typeOf<T>(), typeOf<R>(), concurrency, ordered, window, taskTimeout, null, 0, killOnCancel, format,
    context, progress, (this as? Collection<*>)?.size?.toLong() ?: -1L, backend, batchSize,
).map {
    @Suppress("UNCHECKED_CAST")
    it as Outcome<T, R>
}.toList()

/**
 * [mapInWorkers] with a [StatefulMapTask]: each slot's worker creates its state once, applies every element it gets
 * to it, and closes it when the flow completes (what `close` throws is thrown then, unless the map failed). A slot whose
 * worker is killed (an element cancelled or timed out, with [killOnCancel]) does not run `close`.
 * Concurrency defaults to the number of slot arguments, if the task has them.
 */
public fun <T, R> Flow<T>.mapInWorkers(
    task: StatefulMapTask<T, R>,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    errors: MapOptions.Errors = MapOptions.Errors.FAIL_FAST,
    maxFailures: Int = 0,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
): Flow<R> = mapEngine(
    this, task, null, null, concurrency, ordered, window, taskTimeout, errors, maxFailures, killOnCancel, format,
    context, progress, backend = backend,
).map {
    @Suppress("UNCHECKED_CAST")
    it.value() as R
}

/** [mapInWorkersCatching] with a [StatefulMapTask]. */
public fun <T, R> Flow<T>.mapInWorkersCatching(
    task: StatefulMapTask<T, R>,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
): Flow<Outcome<T, R>> = mapEngine(
    this, task, null, null, concurrency, ordered, window, taskTimeout, null, 0, killOnCancel, format, context,
    progress, backend = backend,
).map {
    @Suppress("UNCHECKED_CAST")
    it as Outcome<T, R>
}

/** [mapInWorkers] with a [StatefulMapTask] over a collection, collected into a list. */
public suspend fun <T, R> Iterable<T>.mapInWorkers(
    task: StatefulMapTask<T, R>,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    errors: MapOptions.Errors = MapOptions.Errors.FAIL_FAST,
    maxFailures: Int = 0,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
): List<R> = mapEngine(
    asFlow(), task, null, null, concurrency, ordered, window, taskTimeout, errors, maxFailures, killOnCancel, format,
    context, progress, (this as? Collection<*>)?.size?.toLong() ?: -1L, backend,
).map {
    @Suppress("UNCHECKED_CAST")
    it.value() as R
}.toList()

/** [mapInWorkersCatching] with a [StatefulMapTask] over a collection, collected into a list. */
public suspend fun <T, R> Iterable<T>.mapInWorkersCatching(
    task: StatefulMapTask<T, R>,
    concurrency: Int? = null,
    ordered: Boolean = true,
    window: Int? = null,
    taskTimeout: Duration? = null,
    killOnCancel: Boolean = true,
    format: PayloadFormat? = null,
    context: WorkerContext? = null,
    progress: MapProgress.Listener? = null,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
): List<Outcome<T, R>> = mapEngine(
    asFlow(), task, null, null, concurrency, ordered, window, taskTimeout, null, 0, killOnCancel, format, context,
    progress, (this as? Collection<*>)?.size?.toLong() ?: -1L, backend,
).map {
    @Suppress("UNCHECKED_CAST")
    it as Outcome<T, R>
}.toList()

/** Processors - 1, at least 1: a concurrency that leaves a core for the caller. */
public fun autoConcurrency(): Int = maxOf(1, Runtime.getRuntime().availableProcessors() - 1)
