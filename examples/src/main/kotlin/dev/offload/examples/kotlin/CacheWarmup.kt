package dev.offload.examples.kotlin

import dev.offload.WorkerConfig
import dev.offload.coroutines.WorkerContextElement
import dev.offload.coroutines.runSync
import dev.offload.coroutines.withWorkerContext
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlin.system.measureNanoTime

/** A scope with its own cache; prestart warms it so the first calls skip the JVM start. */
fun main() = runBlocking {
    withWorkerContext(WorkerConfig.builder().build()) {
        val context = coroutineContext[WorkerContextElement]!!.context
        val warmup = measureNanoTime { withContext(Dispatchers.IO) { context.prestart(2) } }
        val first = measureNanoTime { runSync(::fib, 1) }
        println("prestart(2) took ${warmup / 1_000_000} ms; then the first call took ${first / 1_000} us")
    }
}
