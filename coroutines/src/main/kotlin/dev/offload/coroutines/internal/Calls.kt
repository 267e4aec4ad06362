package dev.offload.coroutines.internal

import dev.offload.CallOptions
import dev.offload.Limiter
import dev.offload.Offload
import dev.offload.WorkerContext
import dev.offload.coroutines.PayloadFormat
import dev.offload.coroutines.WorkerContextElement
import dev.offload.internal.CallFuture
import dev.offload.internal.ContextCore
import dev.offload.internal.Secrets
import kotlin.reflect.KType
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withContext
import kotlinx.serialization.KSerializer
import kotlinx.serialization.SerializationException
import kotlinx.serialization.serializer

/** The serializer for a reified type, or a call-site error saying how to get one. */
internal fun serializerOf(type: KType, role: String): KSerializer<Any?> = try {
    serializer(type)
} catch (e: SerializationException) {
    throw IllegalArgumentException(
        "no serializer for the $role type ${type.plain()}: annotate the class with @Serializable " +
            "(kotlinx-serialization), or pass a type that has one. ${e.message?.let(::plain)}",
        e,
    )
}

/** A type's name without the note Kotlin adds when kotlin-reflect is absent (Offload does not need it). */
private fun KType.plain(): String = plain(toString())

private fun plain(text: String): String = text.replace(" (Kotlin reflection is not available)", "")

/**
 * Runs one call: picks the context and format, submits, and maps coroutine cancellation to the worker. The
 * non-inline part of [dev.offload.coroutines.runSync]; not for direct use.
 */
@PublishedApi
internal suspend fun callInWorker(
    fn: Any,
    args: Array<Any?>,
    types: List<KType>,
    resultType: KType,
    killOnCancel: Boolean,
    limiter: Limiter?,
    format: PayloadFormat?,
    context: WorkerContext?,
    taskTimeout: kotlin.time.Duration? = null,
    callerWaits: Boolean = false,
): Any? {
    val coroutineContext = currentCoroutineContext()
    val id = KotlinFunctions.of(fn, args.size)
    coroutineContext.ensureActive() // a coroutine cancelled before it reached a worker never touches one
    val target = context ?: coroutineContext[WorkerContextElement]?.context ?: Offload.defaultContext()
    // A context's first call: its worker's JVM starts while this call looks up its serializers (in a fresh JVM,
    // kotlinx.serialization's own set-up is about 100 ms here); the call then takes that worker.
    val core = Secrets.core(target)
    val early = core.startFirstWorkerEarly()
    val codec = try {
        KotlinxCodec.forCall(
            format ?: coroutineContext[WorkerContextElement]?.format ?: PayloadFormat.Json,
            types, ARGUMENT_ROLES.subList(0, types.size), resultType,
        )
    } catch (e: IllegalArgumentException) {
        if (early) core.unwantEarlyStart() // refused: the worker started for it exits once it is up
        throw e
    }
    val options = CallOptions.builder().killOnCancel(killOnCancel).limiter(limiter).codec(codec).build()
    // callerWaits: the caller is suspended until the result, so a large ByteArray goes from its own array.
    // A coroutine polls for its reply on its own thread for up to 50 µs, yielding between polls (pollForReply), so a
    // quick reply wakes no thread: without it, the worker's reader thread woke for the reply, then woke this
    // coroutine's thread. The harness measured 8.6 against 13.6 µs a call, and 99,000 against 54,000 calls/s for two
    // coroutines on one runBlocking thread (2026-11-22). An earlier try (session 4) polled without yielding, only
    // for a lone coroutine, and lost; yielding lets every coroutine of the thread poll its own call.
    val pollNanos = if (callerWaits) core.pollNanos() else 0L
    val future = core.submit(id, fn.javaClass.classLoader, args, options,
        resumesThroughADispatcher(coroutineContext), callerWaits, pollNanos > 0)
    if (pollNanos > 0) pollForReply(core, future, pollNanos)
    // The clock starts once a worker has the call; timing out completes the future, which kills that worker.
    if (taskTimeout != null) future.timeLimit(taskTimeout.inWholeNanoseconds)
    return awaitCall(future)
}

/**
 * Runs [fn] on each of [items] in one worker as one request (a map's batch): each item's result, or its failure (an
 * exception the function threw, or an item the codec cannot encode). A failure of the whole batch (its worker died,
 * was killed, or the batch ran past [taskTimeout]) is thrown.
 */
internal suspend fun batchInWorker(
    fn: Any,
    items: List<Any?>,
    argType: KType,
    resultType: KType,
    killOnCancel: Boolean,
    limiter: Limiter?,
    format: PayloadFormat?,
    context: WorkerContext?,
    taskTimeout: kotlin.time.Duration?,
): List<Result<Any?>> {
    val coroutineContext = currentCoroutineContext()
    val id = KotlinFunctions.of(fn, 1)
    coroutineContext.ensureActive()
    val target = context ?: coroutineContext[WorkerContextElement]?.context ?: Offload.defaultContext()
    val core = Secrets.core(target)
    val codec = KotlinxCodec.forCall(
        format ?: coroutineContext[WorkerContextElement]?.format ?: PayloadFormat.Json,
        listOf(argType), ARGUMENT_ROLES.subList(0, 1), resultType,
    )
    val options = CallOptions.builder().killOnCancel(killOnCancel).limiter(limiter).codec(codec).build()
    val refused = arrayOfNulls<Throwable>(items.size)
    val future = core.submitBatch(id, fn.javaClass.classLoader, items, options,
        resumesThroughADispatcher(coroutineContext), refused)
    if (future != null && taskTimeout != null) future.timeLimit(taskTimeout.inWholeNanoseconds)
    val sent: Array<*> = if (future == null) emptyArray<Any?>() else awaitCall(future) as Array<*>
    var at = 0
    return items.indices.map { i ->
        val refusal = refused[i]
        if (refusal != null) return@map Result.failure(refusal)
        when (val r = sent[at++]) {
            is ContextCore.ItemFailure ->
                Result.failure(dev.offload.internal.ExceptionRebuilder.withCallerFrames(notACancellation(r.error), 0))
            else -> Result.success(r)
        }
    }
}

/**
 * Polls for a quick reply on the coroutine's own thread, yielding to the other coroutines of its dispatcher between
 * polls, and reads it there if it comes within [nanos]; otherwise (or at once if the call waits for a permit or a
 * worker) leaves it to the worker's reader thread, which resumes the coroutine when the reply comes.
 */
private suspend fun pollForReply(core: ContextCore, future: CallFuture<Any?>, nanos: Long) {
    val deadline = System.nanoTime() + nanos
    try {
        while (true) {
            val state = core.pollReply(future)
            if (state == ContextCore.POLL_READY) break
            if (state == ContextCore.POLL_UNSENT) {
                core.stopPolling(future, false)
                return
            }
            if (System.nanoTime() - deadline > 0) {
                core.stopPolling(future, state == ContextCore.POLL_EMPTY)
                return
            }
            // The reader thread must get a processor to give the pipe up: this thread gives its own for a moment.
            if (state == ContextCore.POLL_BUSY) Thread.yield()
            kotlinx.coroutines.yield()
        }
    } catch (e: kotlinx.coroutines.CancellationException) {
        core.stopPolling(future, false) // then awaitCall cancels the call, as for any coroutine cancelled while waiting
        return
    }
    core.readPolledReply(future)
}

/** Runs one item of a stateful map in the worker pinned to [lease] (the context is the one the lease belongs to). */
internal suspend fun callInSlot(
    core: ContextCore,
    lease: ContextCore.Lease,
    mapKey: Long,
    task: SlotFunctions,
    slotArgument: Any?,
    item: Any?,
    killOnCancel: Boolean,
    limiter: Limiter?,
    taskTimeout: kotlin.time.Duration?,
): Any? {
    val coroutineContext = currentCoroutineContext()
    coroutineContext.ensureActive()
    val options = CallOptions.builder().killOnCancel(killOnCancel).limiter(limiter).codec(task.codec).build()
    val future = core.submitSlot(
        lease, mapKey, task.init, task.initTakesArgument, task.apply, task.close, task.loader, slotArgument, item,
        options, resumesThroughADispatcher(coroutineContext),
    )
    if (taskTimeout != null) future.timeLimit(taskTimeout.inWholeNanoseconds)
    return awaitCall(future)
}

/**
 * Whether a coroutine of [context] resumes through a dispatcher that runs it elsewhere: then the worker's reader
 * thread may complete the call's future itself (inline delivery), which only hands the coroutine to its dispatcher.
 * Without one (a `suspend fun main`, `Dispatchers.Unconfined`, or a dispatcher that would run it right here), the
 * coroutine's own code would run on the reader thread: a blocking call made there could wait for that very thread.
 * Such calls are delivered from Offload's delivery threads instead.
 */
private fun resumesThroughADispatcher(context: kotlin.coroutines.CoroutineContext): Boolean {
    val dispatcher = context[kotlin.coroutines.ContinuationInterceptor] as? kotlinx.coroutines.CoroutineDispatcher
        ?: return false
    return dispatcher.isDispatchNeeded(context)
}

/** A stateful task's functions addressed for workers, with the codec for its slot arguments, items and results. */
internal class SlotFunctions(
    val init: dev.offload.internal.protocol.FunctionId,
    val initTakesArgument: Boolean,
    val apply: dev.offload.internal.protocol.FunctionId,
    val close: dev.offload.internal.protocol.FunctionId?,
    val loader: ClassLoader,
    val codec: KotlinxCodec,
)

private suspend fun awaitCall(future: CallFuture<Any?>): Any? {
    try {
        return future.await() // cancelling the coroutine cancels the future: the core kills or abandons the call
    } catch (e: kotlinx.coroutines.CancellationException) {
        thrownInWorker(future)?.let { throw dev.offload.internal.ExceptionRebuilder.withCallerFrames(it, 0) }
        // A call that never reached a worker never will (a worker still starting for it is kept for the next call):
        // nothing to wait for.
        if (future.isCancelled && !future.neverRan()) {
            withContext(NonCancellable) {
                if (future.killOnCancel()) {
                    // Until the worker is reaped, at most REAP_TIMEOUT of real time: the JDK's clock, not the
                    // coroutine's, which runTest would advance at once by the whole timeout.
                    try {
                        future.settled().copy().orTimeout(REAP_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)
                            .await()
                    } catch (e: java.util.concurrent.TimeoutException) {
                        // reaped later, in the background
                    }
                } else {
                    future.settled().await() // the call runs to its end; its result is dropped
                }
            }
        }
        throw e
    } catch (e: Throwable) {
        // A worker's exception: its frames, then this coroutine's (see ExceptionRebuilder.withCallerFrames).
        throw dev.offload.internal.ExceptionRebuilder.withCallerFrames(e, 0)
    }
}

/**
 * The CancellationException the function threw in its worker, if that is how [future] ended, as a
 * `RemoteTaskException` naming it: thrown as itself, it would pass for a cancellation of the calling coroutine, which
 * kotlinx.coroutines drops without a trace. Null if the call was cancelled here.
 */
private fun thrownInWorker(future: CallFuture<Any?>): Throwable? {
    if (!future.isDone) return null
    val t = try {
        future.getNow(null)
        return null
    } catch (e: java.util.concurrent.CancellationException) {
        e
    } catch (e: java.util.concurrent.CompletionException) {
        e.cause
    }
    return t?.let(::notACancellation)?.takeIf { it !== t }
}

/** [t] unchanged, unless it is a CancellationException from a worker: see [thrownInWorker]. */
internal fun notACancellation(t: Throwable): Throwable {
    if (t !is java.util.concurrent.CancellationException || !dev.offload.internal.ExceptionRebuilder.isRemote(t)) {
        return t
    }
    return asRemoteTaskException(t)
}

/** [t] as a `RemoteTaskException` naming its class, with its message, cause, stack trace and suppressed exceptions. */
internal fun asRemoteTaskException(t: Throwable): Throwable =
    Secrets.exceptions().remote(t.javaClass.name, t.message, t.cause).apply {
        stackTrace = t.stackTrace
        t.suppressed.forEach(::addSuppressed)
    }

private const val REAP_TIMEOUT_SECONDS = 10L

private val ARGUMENT_ROLES = listOf("argument 1", "argument 2", "argument 3", "argument 4")
