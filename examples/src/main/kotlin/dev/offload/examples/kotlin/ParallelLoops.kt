package dev.offload.examples.kotlin

import dev.offload.coroutines.runSync
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlin.system.measureTimeMillis

/** async + runSync: CPU-bound loops spread over worker JVMs, one per processor (the default limiter). */
fun main() = runBlocking {
    val limits = List(4) { 1_500_000 }
    runSync(::fib, 1) // warm one worker so the timing is about the work
    val counts: List<Int>
    val millis = measureTimeMillis {
        counts = limits.map { async { runSync(::countPrimes, it) } }.awaitAll()
    }
    println("counted primes 4 times in parallel workers: $counts in $millis ms")
}
