@file:JvmName("WorkerDefaults")

package dev.offload.coroutines

import dev.offload.Limiter
import dev.offload.Offload
import dev.offload.WorkerConfig
import dev.offload.WorkerContext
import dev.offload.WorkerStatistics
import kotlinx.coroutines.currentCoroutineContext

/**
 * Sets the configuration of the process-wide default context (shared with Java's `Offload`), before its first use.
 *
 * ```kotlin
 * configureDefaultWorkerContext(WorkerConfig.builder().jvmOptions("-Xmx1g").build())
 * ```
 *
 * @throws IllegalStateException if the default context is already running.
 */
public fun configureDefaultWorkerContext(config: WorkerConfig): Unit = Offload.configureDefaultContext(config)

/** The limiter of every call that names no other: one permit per processor; adjust with `setCapacity`. */
public fun defaultWorkerLimiter(): Limiter = Offload.defaultLimiter()

/** Idle workers and running calls of the default context. */
public fun defaultWorkerContextStatistics(): WorkerStatistics = Offload.defaultContextStatistics()

/** The context a [runSync] here would use when given none: the enclosing [withWorkerContext]'s, or the default. */
public suspend fun currentWorkerContext(): WorkerContext =
    currentCoroutineContext()[WorkerContextElement]?.context ?: Offload.defaultContext()
