package dev.offload.coroutines

import dev.offload.WorkerContext
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext

/**
 * The worker context of a coroutine subtree, set by [withWorkerContext]: every [runSync] in the subtree that names
 * no context of its own runs there, with [format] as its default payload format.
 *
 * ```kotlin
 * withWorkerContext(config) {
 *     val stats = coroutineContext[WorkerContextElement]!!.context.statistics()
 * }
 * ```
 *
 * Inherited like any coroutine context element: coroutines launched inside the block use it; a coroutine launched
 * into an outer scope does not.
 */
public class WorkerContextElement internal constructor(
    /** The context calls run in. */
    public val context: WorkerContext,
    /** The default payload format of calls in this subtree. */
    public val format: PayloadFormat,
) : AbstractCoroutineContextElement(Key) {
    /** Key of [WorkerContextElement] in a [CoroutineContext]. */
    public companion object Key : CoroutineContext.Key<WorkerContextElement>

    override fun toString(): String = "WorkerContextElement($context, $format)"
}
