package dev.offload.examples.kotlin

import dev.offload.coroutines.runSync
import kotlinx.coroutines.runBlocking

/** The shortest Kotlin use: suspend until a function has run in a worker JVM. Typed values use kotlinx-serialization. */
fun main() = runBlocking {
    println("fib(30) = ${runSync(::fib, 30)} from worker pid ${runSync(::workerPid)} (this JVM: ${ProcessHandle.current().pid()})")
    println("summary: ${runSync(::summarize, listOf(1.0, 2.5, 4.0))}")
}
