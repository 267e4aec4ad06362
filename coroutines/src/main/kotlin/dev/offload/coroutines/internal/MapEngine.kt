package dev.offload.coroutines.internal

import dev.offload.Limiter
import dev.offload.MapOptions
import dev.offload.MapProgress
import dev.offload.Outcome
import dev.offload.WorkerContext
import dev.offload.coroutines.PayloadFormat
import dev.offload.internal.Secrets
import java.util.concurrent.TimeoutException
import kotlin.reflect.KType
import kotlin.time.Duration
import kotlinx.coroutines.cancelChildren
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
 * reorder buffer included), one child coroutine per item runs it in a worker, and the collector hands outcomes out
 * in input or completion order. Cancelling the collector (or `take(n)`) cancels the items in flight, which kills
 * their workers with killOnCancel.
 */
@PublishedApi
internal fun mapEngine(
    source: Flow<*>,
    fn: Any,
    argType: KType,
    resultType: KType,
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
): Flow<Outcome<Any?, Any?>> {
    require(concurrency == null || concurrency > 0) {
        "concurrency must be > 0, was $concurrency; use autoConcurrency() for processors - 1"
    }
    require(window == null || window > 0) { "window must be > 0, was $window" }
    require(taskTimeout == null || taskTimeout.isPositive()) { "taskTimeout must be > 0, was $taskTimeout" }
    require(maxFailures >= 0) { "maxFailures must be >= 0, was $maxFailures" }
    KotlinFunctions.of(fn, 1) // refuse lambdas and the like before any input is read
    val limiter = concurrency?.let { Limiter.create(it) }
    val width = window ?: (2 * (limiter ?: dev.offload.Offload.defaultLimiter()).capacity())
    val runOne: suspend (Long, Any?) -> Outcome<Any?, Any?> = { i, item ->
        try {
            val value = callInWorker(fn, arrayOf(item), listOf(argType), resultType, killOnCancel, limiter, format,
                context, taskTimeout)
            Outcome.success(i, item, value)
        } catch (e: TimeoutException) {
            val t = TimeoutException("item $i timed out after $taskTimeout; its worker was killed")
            t.initCause(e)
            Outcome.failure(i, item, t)
        } catch (e: kotlinx.coroutines.CancellationException) {
            throw e
        } catch (e: Throwable) {
            Outcome.failure(i, item, e)
        }
    }
    return flow {
        val reporter = progress?.let { Reporter(it, total) }
        try {
            runMap(reporter, source, width, ordered, errors, maxFailures, runOne)
        } finally {
            reporter?.report(last = true)
        }
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

private suspend fun kotlinx.coroutines.flow.FlowCollector<Outcome<Any?, Any?>>.runMap(
    reporter: Reporter?,
    source: Flow<*>,
    width: Int,
    ordered: Boolean,
    errors: MapOptions.Errors?,
    maxFailures: Int,
    runOne: suspend (Long, Any?) -> Outcome<Any?, Any?>,
) {
    coroutineScope {
        val slots = Semaphore(width)
        val done = Channel<Done>(Channel.UNLIMITED)
        launch {
            var index = 0L
            source.collect { item ->
                slots.acquire()
                val i = index++
                reporter?.submitted?.incrementAndGet()
                launch {
                    val outcome = runOne(i, item)
                    done.send(Done.Item(outcome))
                }
            }
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
                        throw o.failure()
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

private fun aggregate(why: String, failures: List<Outcome<*, *>>): RuntimeException {
    val sorted = failures.sortedBy { it.index() }
    return Secrets.exceptions().mapFailed("$why: ${sorted.size} items failed, first ${sorted.first()}", sorted)
}
