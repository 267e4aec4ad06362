package dev.offload.coroutines.internal

import dev.offload.Limiter
import dev.offload.MapOptions
import dev.offload.MapProgress
import dev.offload.Outcome
import dev.offload.WorkerContext
import dev.offload.coroutines.PayloadFormat
import dev.offload.coroutines.StatefulMapTask
import dev.offload.coroutines.WorkerContextElement
import dev.offload.internal.AutoBatch
import dev.offload.internal.ContextCore
import dev.offload.internal.ExceptionRebuilder
import dev.offload.internal.FailedItem
import dev.offload.internal.Secrets
import java.util.concurrent.Executors
import java.util.concurrent.TimeoutException
import kotlin.reflect.KType
import kotlin.time.Duration
import kotlinx.coroutines.ExecutorCoroutineDispatcher
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancelChildren
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.future.await
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Semaphore

private sealed class Done {
    class Item(val outcome: Outcome<Any?, Any?>) : Done()

    class End(val count: Long) : Done()
}

/**
 * The coroutine map engine: one coroutine pulls the source (suspending while [window] items are in flight, the
 * reorder buffer included), one child coroutine per item runs it on the backend, and the collector hands outcomes
 * out in input or completion order. Cancelling the collector (or `take(n)`) cancels the items in flight, which kills
 * their workers with killOnCancel.
 *
 * @param work a function reference `(T) -> R`, or a [StatefulMapTask]
 */
@PublishedApi
internal fun mapEngine(
    source: Flow<*>,
    work: Any,
    argType: KType?,
    resultType: KType?,
    concurrency: Int?,
    ordered: Boolean,
    window: Int?,
    taskTimeout: Duration?,
    errors: MapOptions.Errors?,
    maxFailures: Int,
    killOnCancel: Boolean,
    format: PayloadFormat?,
    context: WorkerContext?,
    progress: MapProgress.Listener? = null,
    total: Long = -1,
    backend: MapOptions.Backend = MapOptions.Backend.CHILD_JVM,
    batchSize: Int = 1,
): Flow<Outcome<Any?, Any?>> {
    require(concurrency == null || concurrency > 0) {
        "concurrency must be > 0, was $concurrency; use autoConcurrency() for processors - 1"
    }
    require(window == null || window > 0) { "window must be > 0, was $window" }
    require(taskTimeout == null || taskTimeout.isPositive()) { "taskTimeout must be > 0, was $taskTimeout" }
    require(maxFailures >= 0) { "maxFailures must be >= 0, was $maxFailures" }
    require(maxFailures == 0 || errors != MapOptions.Errors.FAIL_FAST) {
        "maxFailures ($maxFailures) applies only with errors = MapOptions.Errors.COLLECT; FAIL_FAST, the default, " +
            "already stops at the first failure: pass errors = MapOptions.Errors.COLLECT, or drop maxFailures"
    }
    require(batchSize >= 0) {
        "batchSize must be >= 1, was $batchSize; 1 sends each item on its own, and AUTO_BATCH_SIZE (0) lets the " +
            "map choose"
    }
    require(window == null || batchSize == MapOptions.AUTO_BATCH_SIZE || window >= batchSize ||
        backend != MapOptions.Backend.CHILD_JVM || work is StatefulMapTask<*, *>) { // the others go one by one
        "window ($window) is smaller than batchSize ($batchSize): the window must hold at least one batch; raise " +
            "the window or lower batchSize"
    }
    val stateful = work as? StatefulMapTask<*, *>
    if (backend == MapOptions.Backend.CHILD_JVM) { // refuse lambdas and types without serializers before any input
        if (stateful == null) {
            KotlinFunctions.of(work, 1)
            KotlinxCodec.forCall(PayloadFormat.Json, listOf(argType!!), listOf("item"), resultType!!)
        } else {
            stateful.check()
            stateful.addressed(PayloadFormat.Json)
        }
    }
    val slots = when {
        backend == MapOptions.Backend.INLINE -> 1
        stateful?.slotArguments != null -> {
            val n = stateful.slotArguments.size
            require(concurrency == null || concurrency == n) {
                "concurrency $concurrency does not match the $n slot arguments: a stateful map has one slot per " +
                    "argument; leave concurrency unset or give $concurrency arguments"
            }
            n
        }
        else -> concurrency ?: dev.offload.Offload.defaultLimiter().capacity()
    }
    // Batches travel to worker JVMs only; elsewhere items run one by one.
    val batch = if (backend == MapOptions.Backend.CHILD_JVM && stateful == null) batchSize else 1
    // The window for batches of a size: the one given, else 2 x slots x size (automatic batches: the current size).
    val widthOf = { size: Int ->
        if (backend == MapOptions.Backend.INLINE) 1 else window ?: (2L * slots * size).coerceAtMost(
            Int.MAX_VALUE.toLong()).toInt()
    }
    val killed = when {
        backend != MapOptions.Backend.CHILD_JVM -> "the task was interrupted"
        killOnCancel -> "its worker was killed"
        else -> "its worker was left to finish it (killOnCancel is off)"
    }
    return flow {
        // A limiter of its own for each collection of the flow: two collections at once run `concurrency` each.
        val limiter = concurrency?.let { Limiter.create(it) }
        val here = currentCoroutineContext()
        val target = context ?: here[WorkerContextElement]?.context ?: dev.offload.Offload.defaultContext()
        val runner: ItemRunner = when {
            stateful != null -> SlotRunner(
                stateful, backend, slots, target, format ?: here[WorkerContextElement]?.format ?: PayloadFormat.Json,
                killOnCancel, limiter ?: stateful.slotArguments?.let { Limiter.create(slots) }, taskTimeout,
            )
            backend == MapOptions.Backend.CHILD_JVM -> ItemRunner { item ->
                callInWorker(work, arrayOf(item), listOf(argType!!), resultType!!, killOnCancel, limiter, format,
                    context, taskTimeout)
            }
            else -> LocalRunner(work, backend, slots, taskTimeout)
        }
        val runOne: suspend (Long, Any?) -> Outcome<Any?, Any?> = { i, item ->
            try {
                Outcome.success(i, item, runner.run(item))
            } catch (e: TimeoutException) {
                // One the function threw in its worker is its own failure, not the time limit.
                if (taskTimeout == null || fromWorker(e)) {
                    Outcome.failure(i, item, e)
                } else {
                    val t = TimeoutException("item $i timed out after $taskTimeout; $killed")
                    t.initCause(e)
                    Outcome.failure(i, item, t)
                }
            } catch (e: kotlinx.coroutines.CancellationException) {
                // The map's own cancellation goes on; otherwise the function threw it (or the call was cancelled
                // from outside): the item's failure, or its result would never come and the map would wait forever.
                currentCoroutineContext().ensureActive()
                Outcome.failure(i, item, thrownByTheFunction(e))
            } catch (e: Throwable) {
                Outcome.failure(i, item, e)
            }
        }
        val runBatch: suspend (Long, List<Any?>) -> List<Outcome<Any?, Any?>> = { first, items ->
            try {
                batchInWorker(work, items, argType!!, resultType!!, killOnCancel, limiter, format, context,
                    taskTimeout).mapIndexed { k, r ->
                    r.fold({ Outcome.success(first + k, items[k], it) }, { Outcome.failure(first + k, items[k], it) })
                }
            } catch (e: TimeoutException) {
                items.mapIndexed { k, item ->
                    val t = TimeoutException(
                        "item ${first + k} timed out after $taskTimeout (its batch's time limit); $killed",
                    )
                    t.initCause(e)
                    Outcome.failure(first + k, item, t)
                }
            } catch (e: kotlinx.coroutines.CancellationException) {
                currentCoroutineContext().ensureActive() // as for one item
                items.mapIndexed { k, item -> Outcome.failure(first + k, item, e) }
            } catch (e: Throwable) {
                items.mapIndexed { k, item -> Outcome.failure(first + k, item, e) }
            }
        }
        val reporter = progress?.let { Reporter(it, total) }
        var failure: Throwable? = null
        try {
            val sizes = if (batch != MapOptions.AUTO_BATCH_SIZE) null else Sizes(AutoBatch(taskTimeout?.let { d ->
                java.time.Duration.ofNanos(d.inWholeNanoseconds) }), widthOf)
            runMap(reporter, source, sizes?.maxWidth ?: widthOf(batch), ordered, errors, maxFailures, batch, sizes,
                runOne, runBatch)
        } catch (e: Throwable) {
            failure = e
            throw e
        } finally {
            // The final report, then the runner's close (slots' close functions, leases back to the cache, thread
            // pools shut down) whatever the listener throws; the map's own failure, if any, stays the one thrown.
            var cleanUp: Throwable? = null
            try {
                reporter?.report(last = true)
            } catch (e: Throwable) {
                cleanUp = e
            }
            withContext(NonCancellable) {
                try {
                    runner.close()
                } catch (e: Throwable) {
                    val first = cleanUp
                    if (first == null) cleanUp = e else first.addSuppressed(e)
                }
            }
            cleanUp?.let { if (failure == null) throw it else failure.addSuppressed(it) }
        }
    }
}

/**
 * A CancellationException the function threw (on a thread or inline backend) as a `RemoteTaskException` naming it,
 * as one from a worker JVM arrives: thrown as itself from the map, it would pass for a cancellation of the collecting
 * coroutine.
 */
private fun thrownByTheFunction(e: kotlinx.coroutines.CancellationException): Throwable =
    if (e is TimeoutCancellationException) e else asRemoteTaskException(e)

/**
 * Whether [e] came from a worker: marked so, or a copy kotlinx.coroutines made of such an exception to recover the
 * coroutine's stack trace (with the original as its cause).
 */
private fun fromWorker(e: Throwable): Boolean = ExceptionRebuilder.isRemote(e) ||
    e.cause?.let { it.javaClass == e.javaClass && ExceptionRebuilder.isRemote(it) } == true

/** Runs items on one backend for one collection of the flow. */
private fun interface ItemRunner {
    suspend fun run(item: Any?): Any?

    suspend fun close() {}
}

/** Threads of this JVM, or the collector itself (inline); timeouts interrupt (cooperative). */
private class LocalRunner(
    fn: Any,
    private val backend: MapOptions.Backend,
    threads: Int,
    private val taskTimeout: Duration?,
) : ItemRunner {
    @Suppress("UNCHECKED_CAST")
    private val fn = fn as (Any?) -> Any?
    private val pool = if (backend == MapOptions.Backend.THREADS) daemonPool(threads) else null

    override suspend fun run(item: Any?): Any? =
        if (pool == null) fn(item) else withContext(pool) { interruptibly(taskTimeout) { fn(item) } }

    override suspend fun close() {
        pool?.close()
    }
}

/**
 * The slots of a stateful map: each runs one item at a time with its own state, in a pinned worker (child-jvm),
 * on its own thread (threads) or in the collector (inline, one slot).
 */
private class SlotRunner(
    private val task: StatefulMapTask<*, *>,
    private val backend: MapOptions.Backend,
    private val slots: Int,
    target: WorkerContext,
    format: PayloadFormat,
    private val killOnCancel: Boolean,
    private val limiter: Limiter?,
    private val taskTimeout: Duration?,
) : ItemRunner {
    private val free = Channel<Int>(slots).also { c -> repeat(slots) { c.trySend(it) } }
    private val core = Secrets.core(target)
    private val mapKey = MAP_KEYS.incrementAndGet()
    private val remote = if (backend == MapOptions.Backend.CHILD_JVM) task.addressed(format) else null
    private val leases = Array(slots) { ContextCore.Lease(it) }
    private val threads = if (backend == MapOptions.Backend.THREADS) Array(slots) { daemonPool(1) } else null
    private val states = arrayOfNulls<Any?>(slots)
    private val hasState = BooleanArray(slots)

    override suspend fun run(item: Any?): Any? {
        val slot = free.receive()
        try {
            return when {
                remote != null -> callInSlot(core, leases[slot], mapKey, remote, task.slotArgument(slot), item,
                    killOnCancel, limiter, taskTimeout)
                threads != null -> withContext(threads[slot]) { interruptibly(taskTimeout) { apply(slot, item) } }
                else -> apply(slot, item)
            }
        } finally {
            free.trySend(slot) // the slot's previous item has settled: a killed worker is being replaced
        }
    }

    private fun apply(slot: Int, item: Any?): Any? {
        if (!hasState[slot]) {
            states[slot] = task.initLocally(slot)
            hasState[slot] = true
        }
        return task.applyLocally(states[slot], item)
    }

    override suspend fun close() {
        var failure: Throwable? = null
        for (slot in 0 until slots) {
            try {
                when {
                    remote != null -> core.release(leases[slot], mapKey, remote.apply).await()
                    hasState[slot] -> threads?.get(slot)?.let { withContext(it) { closeLocally(slot) } }
                        ?: closeLocally(slot)
                }
            } catch (e: Throwable) {
                val closing = IllegalStateException("closing the state of slot $slot failed: $e", e)
                // The first thrown, the rest suppressed. (Not `?: run { }`: this class's own run(item) would win.)
                val first = failure
                if (first == null) failure = closing else first.addSuppressed(closing)
            }
        }
        threads?.forEach { it.close() }
        failure?.let { throw it }
    }

    private fun closeLocally(slot: Int) {
        val s = states[slot]
        states[slot] = null
        hasState[slot] = false
        task.closeLocally(s)
    }

    companion object {
        val MAP_KEYS = java.util.concurrent.atomic.AtomicLong()
    }
}

private fun daemonPool(threads: Int): ExecutorCoroutineDispatcher = Executors.newFixedThreadPool(threads) { r ->
    Thread(r, "offload-map-kt").apply { isDaemon = true }
}.asCoroutineDispatcher()

/** Runs [block] on the current thread, interrupting it on cancellation; a timeout becomes a [TimeoutException]. */
private suspend fun <X> interruptibly(timeout: Duration?, block: () -> X): X {
    if (timeout == null) return runInterruptible { block() }
    try {
        return withTimeout(timeout) { runInterruptible { block() } }
    } catch (e: TimeoutCancellationException) {
        throw TimeoutException("timed out after $timeout").apply { initCause(e) }
    }
}

/** Throttled progress snapshots (at most one per 100 ms) and the final one. */
private class Reporter(private val listener: MapProgress.Listener, private val total: Long) {
    private val start = System.nanoTime()
    private var last = 0L
    val submitted = java.util.concurrent.atomic.AtomicLong()
    var completed = 0L
    var failed = 0L

    fun report(last: Boolean = false) {
        val now = System.nanoTime()
        if (!last && now - this.last < 100_000_000L) return
        this.last = now
        listener.onProgress(
            MapProgress.of(total, submitted.get(), completed, failed, java.time.Duration.ofNanos(now - start), last),
        )
    }
}

/**
 * Automatic batches: the sizer, and the window each size implies. The window's semaphore has [maxWidth] permits;
 * the source holds back those beyond the window of the current size.
 */
private class Sizes(val auto: AutoBatch, val widthFor: (Int) -> Int) {
    val maxWidth = widthFor(AutoBatch.MAX)
}

private suspend fun kotlinx.coroutines.flow.FlowCollector<Outcome<Any?, Any?>>.runMap(
    reporter: Reporter?,
    source: Flow<*>,
    width: Int,
    ordered: Boolean,
    errors: MapOptions.Errors?,
    maxFailures: Int,
    batch: Int,
    sizes: Sizes?,
    runOne: suspend (Long, Any?) -> Outcome<Any?, Any?>,
    runBatch: suspend (Long, List<Any?>) -> List<Outcome<Any?, Any?>>,
) {
    coroutineScope {
        var held = if (sizes == null) 0 else width - sizes.widthFor(1)
        val slots = Semaphore(width, held)
        val done = Channel<Done>(Channel.UNLIMITED)
        launch {
            var index = 0L
            var size = if (sizes == null) batch else 1
            // A batch starts once it has [size] items or the source ends; its items hold their window places
            // meanwhile (the window is at least one batch, so a batch being gathered can always fill).
            val gathered = ArrayList<Any?>()
            fun launchBatch() {
                val items = ArrayList(gathered)
                val first = index - items.size
                gathered.clear()
                launch {
                    val began = System.nanoTime()
                    val outcomes = runBatch(first, items)
                    sizes?.auto?.finished(items.size, System.nanoTime() - began)
                    for (o in outcomes) done.send(Done.Item(o))
                }
            }
            source.collect { item ->
                if (sizes != null && gathered.isEmpty()) {
                    val chosen = sizes.auto.size()
                    val window = sizes.widthFor(chosen)
                    size = minOf(chosen, window)
                    val hold = width - window
                    while (held > hold) {
                        slots.release()
                        held--
                    }
                    while (held < hold) {
                        slots.acquire()
                        held++
                    }
                }
                slots.acquire()
                val i = index++
                reporter?.submitted?.incrementAndGet()
                if (size == 1) {
                    launch {
                        val began = System.nanoTime()
                        val outcome = runOne(i, item)
                        sizes?.auto?.finished(1, System.nanoTime() - began)
                        done.send(Done.Item(outcome))
                    }
                } else {
                    gathered.add(item)
                    if (gathered.size == size) launchBatch()
                }
            }
            if (gathered.isNotEmpty()) launchBatch()
            done.send(Done.End(index))
        }
        val buffer = HashMap<Long, Outcome<Any?, Any?>>()
        val failures = ArrayList<Outcome<*, *>>()
        var next = 0L
        var handed = 0L
        var count = -1L
        while (count < 0 || handed < count) {
            when (val m = done.receive()) {
                is Done.End -> count = m.count
                is Done.Item -> {
                    val o = m.outcome
                    reporter?.let {
                        it.completed++
                        if (!o.isSuccess) it.failed++
                        it.report()
                    }
                    if (!o.isSuccess && errors == MapOptions.Errors.FAIL_FAST) {
                        coroutineContext.cancelChildren()
                        throw noteItem(o.failure(), o.index())
                    }
                    val ready = if (ordered) {
                        buffer[o.index()] = o
                        generateSequence { buffer.remove(next)?.also { next++ } }.toList()
                    } else {
                        listOf(o)
                    }
                    for (r in ready) {
                        handed++
                        slots.release()
                        if (!r.isSuccess && errors == MapOptions.Errors.COLLECT) {
                            failures.add(r)
                            if (maxFailures in 1..failures.size) {
                                coroutineContext.cancelChildren()
                                throw aggregate("map stopped after ${failures.size} failures (maxFailures)", failures)
                            }
                        } else {
                            emit(r)
                        }
                    }
                }
            }
        }
        if (failures.isNotEmpty()) {
            throw aggregate("map finished with failures", failures)
        }
    }
}

/**
 * [failure] with a note naming the item that stopped a fail-fast map (see [FailedItem]). With stack-trace recovery on
 * (kotlinx.coroutines' debug mode, on under -ea), [failure] may be a copy whose cause is the exception thrown; a copy
 * is dropped again when the exception is rethrown from another coroutine, so the note goes on each of them.
 */
private fun noteItem(failure: Throwable, index: Long): Throwable {
    var e = failure
    repeat(MAX_RECOVERED_COPIES) {
        FailedItem.note(e, index)
        val cause = e.cause ?: return failure
        if (cause.javaClass != e.javaClass || e.stackTrace.none { it.className == "_COROUTINE._BOUNDARY" }) {
            return failure
        }
        e = cause
    }
    return failure
}

/** How deep [noteItem] follows a chain of recovered copies (a cause cycle ends there too). */
private const val MAX_RECOVERED_COPIES = 8

private fun aggregate(why: String, failures: List<Outcome<*, *>>): RuntimeException {
    val sorted = failures.sortedBy { it.index() }
    return Secrets.exceptions().mapFailed("$why: ${sorted.size} items failed, first ${sorted.first()}", sorted)
}
