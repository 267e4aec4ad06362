package dev.offload.examples.kotlin

import dev.offload.coroutines.runSync
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.time.Duration.Companion.milliseconds

/** withTimeout around code that never checks for cancellation: the worker is killed and the timeout is prompt. */
fun main() = runBlocking {
    val pid = runSync(::workerPid)
    val started = System.nanoTime()
    try {
        withTimeout(300.milliseconds) { runSync(::spinForever) }
    } catch (e: TimeoutCancellationException) {
        val alive = ProcessHandle.of(pid).map { it.isAlive }.orElse(false)
        println("timed out after ${(System.nanoTime() - started) / 1_000_000} ms; worker $pid alive: $alive")
    }
    println("the next call gets a new worker: fib(20) = ${runSync(::fib, 20)}")
}
