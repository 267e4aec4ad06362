package dev.offload.examples.kotlin

import dev.offload.WorkerConfig
import dev.offload.coroutines.runSync
import dev.offload.coroutines.withWorkerContext
import kotlinx.coroutines.runBlocking

/** retire = { true }: each call gets a fresh JVM, for code that leaks or keeps global state. */
fun main() = runBlocking {
    withWorkerContext(WorkerConfig.builder().retire(::retireAlways).build()) {
        val pids = List(3) { runSync(::workerPid) }
        println("three calls, three workers: $pids")
    }
}
