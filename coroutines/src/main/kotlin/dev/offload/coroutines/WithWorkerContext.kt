package dev.offload.coroutines

import dev.offload.WorkerConfig
import dev.offload.WorkerContext
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext

/**
 * Runs [block] with its own cache of worker JVMs: trio-parallel's `cache_scope`. Every [runSync] in the block, and
 * in coroutines launched inside it, runs in this isolated context instead of the default one (an explicit
 * `context =` argument still wins). Nested blocks get their own workers.
 *
 * ```kotlin
 * withWorkerContext(WorkerConfig.builder().idleTimeout(Duration.ofSeconds(30)).build()) {
 *     val a = async { runSync(::fib, 30) }
 *     val b = async { runSync(::render, scene, killOnCancel = false) }
 *     a.await() + b.await()
 * }
 * ```
 *
 * Leaving the block closes the context: structured concurrency has already waited for the calls started inside;
 * idle workers get EOF, stragglers are SIGKILLed after the grace period, and this returns once every worker is
 * reaped. If the block fails or is cancelled, its running calls are cancelled (their workers killed) before the
 * context closes. An unclean shutdown is thrown as [dev.offload.BrokenWorkerException] (or added as a suppressed
 * exception to the block's own failure). Offload itself never cancels a call's siblings; as always in coroutines, a
 * child that fails cancels its scope and so its siblings (their workers killed): use `supervisorScope` to keep them.
 *
 * Pitfall: the block's receiver is a [CoroutineScope], not the [WorkerContext]; this is on purpose, since
 * `WorkerContext.runSync` is Java's blocking call. Reach the context with `coroutineContext[WorkerContextElement]`.
 *
 * @param config how the scope starts and keeps its workers.
 * @param format the default payload format of calls in the block.
 * @return what [block] returned.
 */
public suspend fun <T> withWorkerContext(
    config: WorkerConfig = WorkerConfig.defaults(),
    format: PayloadFormat = PayloadFormat.Json,
    block: suspend CoroutineScope.() -> T,
): T {
    val context = WorkerContext.open(config)
    val result = try {
        withContext(WorkerContextElement(context, format), block)
    } catch (failure: Throwable) {
        try {
            closeBlocking(context)
        } catch (closing: Throwable) {
            failure.addSuppressed(closing)
        }
        throw failure
    }
    closeBlocking(context)
    return result
}

private suspend fun closeBlocking(context: WorkerContext) {
    withContext(NonCancellable + Dispatchers.IO) { context.close() }
}
