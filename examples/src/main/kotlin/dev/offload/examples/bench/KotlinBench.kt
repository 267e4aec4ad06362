@file:JvmName("KotlinBench")

package dev.offload.examples.bench

import dev.offload.WorkerConfig
import dev.offload.WorkerContext
import dev.offload.coroutines.PayloadFormat
import dev.offload.coroutines.mapInWorkers
import dev.offload.coroutines.runSync
import dev.offload.coroutines.withWorkerContext
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.suspendCancellableCoroutine
import org.HdrHistogram.Histogram
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.Continuation
import kotlin.coroutines.resume

// The Kotlin half of the benchmark harness: the suspend API (runSync from dev.offload.coroutines), called from
// runBlocking as a Kotlin program would. Benchmarks.java drives it and interleaves it with the Java figures.

/** The trivial call, as a Kotlin top-level function (its arguments and result travel as JSON). */
fun kInc(x: Int): Int = x + 1

/** Sends the bytes back; with PayloadFormat.Binary they travel as one CBOR byte string. */
fun kEcho(bytes: ByteArray): ByteArray = bytes

/** The call that gets cancelled. */
fun kSleep(millis: Long): Long {
    Thread.sleep(millis)
    return millis
}

/** [calls] sequential warm calls in [ctx], each recorded (in ns) into [nanos] when it is not null. */
fun latency(ctx: WorkerContext, calls: Int, nanos: Histogram?): Unit = runBlocking {
    var x = 0
    repeat(calls) {
        val t = System.nanoTime()
        x = runSync(::kInc, x, context = ctx)
        nanos?.recordValue(System.nanoTime() - t)
    }
}

/**
 * [callers] coroutines calling in a loop until [nanos] have passed, all on the one `runBlocking` thread; returns how
 * many calls completed.
 */
fun throughput(ctx: WorkerContext, callers: Int, nanos: Long): Long = runBlocking { calls(ctx, callers, nanos) }

/** Like [throughput], with the coroutines on `Dispatchers.Default` (as in a server) instead. */
fun throughputOnDefault(ctx: WorkerContext, callers: Int, nanos: Long): Long =
    runBlocking(Dispatchers.Default) { calls(ctx, callers, nanos) }

private suspend fun calls(ctx: WorkerContext, callers: Int, nanos: Long): Long = coroutineScope {
    val deadline = System.nanoTime() + nanos
    List(callers) {
        async {
            var n = 0L
            while (System.nanoTime() < deadline) {
                runSync(::kInc, 1, context = ctx)
                n++
            }
            n
        }
    }.awaitAll().sum()
}

/** A fresh worker context and its first call's result, timed until that result is back; the close is not timed. */
fun coldStart(config: WorkerConfig): Long = runBlocking {
    val t0 = System.nanoTime()
    var elapsed = 0L
    withWorkerContext(config) {
        check(runSync(::kInc, 1) == 2)
        elapsed = System.nanoTime() - t0
    }
    elapsed
}

/** One round trip of [bytes] on the binary path; returns the length that came back. */
fun echoBinary(ctx: WorkerContext, bytes: ByteArray): Int = runBlocking {
    runSync(::kEcho, bytes, format = PayloadFormat.Binary, context = ctx).size
}

/**
 * Starts a sleeping call in [ctx] (which must have one worker), cancels its coroutine once the worker has it and
 * records how long `cancelAndJoin` takes; then records the next call, which needs a new worker.
 */
fun cancelAndRespawn(ctx: WorkerContext, cancel: Histogram?, respawn: Histogram?): Unit = runBlocking {
    val job = launch { runSync(::kSleep, 60_000L, context = ctx) }
    while (ctx.statistics().runningWorkers() < 1 || ctx.statistics().idleWorkers() > 0) delay(1)
    delay(30) // let the call frame reach the worker
    val t0 = System.nanoTime()
    job.cancelAndJoin()
    cancel?.recordValue(System.nanoTime() - t0)
    val t1 = System.nanoTime()
    check(runSync(::kInc, 1, context = ctx) == 2)
    respawn?.recordValue(System.nanoTime() - t1)
}

/**
 * A baseline for the suspend API: the raw pipe echo of [BareProcess], with each reply read by a thread of its own
 * that resumes the waiting coroutine, as any suspending call on a blocking pipe must (the JDK has no asynchronous
 * pipe). The coroutine runs in `runBlocking`, like [latency]; nothing spins. [procs] children, one coroutine each:
 * with one, [nanos] records each round trip (ns) and [calls] are made; with more, they call until [deadline] (a
 * [System.nanoTime]) and the number of calls is returned.
 */
fun rawSuspend(procs: List<BareProcess>, calls: Int, deadline: Long, nanos: Histogram?): Long = runBlocking {
    List(procs.size) { i ->
        async {
            val p = procs[i]
            val frame = ByteArray(4 + 16)
            val waiting = AtomicReference<Continuation<Unit>?>()
            val done = java.util.concurrent.atomic.AtomicBoolean()
            val reader = Thread({
                while (true) {
                    p.readFrame()
                    if (done.get()) break
                    waiting.getAndSet(null)!!.resume(Unit)
                }
            }, "bench-raw-reader")
            reader.isDaemon = true
            reader.start()
            var n = 0L
            while (if (procs.size == 1) n < calls else System.nanoTime() < deadline) {
                val t = System.nanoTime()
                suspendCancellableCoroutine<Unit> { c ->
                    waiting.set(c) // before the request: the reply cannot come first
                    p.writeFrame(frame, 16)
                }
                nanos?.recordValue(System.nanoTime() - t)
                n++
            }
            done.set(true)
            p.writeFrame(frame, 16) // the reader thread reads its reply, sees done and ends
            reader.join()
            n
        }
    }.awaitAll().sum()
}

/** Kotlin mapInWorkers(::kInc) over [items] on 2 workers of [ctx], in batches of [batchSize]. */
fun mapItems(ctx: WorkerContext, items: List<Int>, batchSize: Int): List<Int> = runBlocking {
    items.mapInWorkers(::kInc, concurrency = 2, batchSize = batchSize, context = ctx)
}
