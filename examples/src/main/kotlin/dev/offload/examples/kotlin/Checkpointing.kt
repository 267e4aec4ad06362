package dev.offload.examples.kotlin

import dev.offload.coroutines.runSync
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * The event loop stays responsive: on a single thread (runBlocking), a ticker keeps ticking while a worker
 * computes, because runSync suspends instead of blocking the thread.
 */
fun main() = runBlocking {
    var ticks = 0
    val ticker = launch {
        while (true) {
            delay(50)
            ticks++
        }
    }
    val n = runSync(::fib, 36)
    ticker.cancel()
    println("fib(36) = $n; meanwhile the same thread ticked $ticks times")
}
