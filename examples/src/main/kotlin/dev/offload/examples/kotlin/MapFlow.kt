package dev.offload.examples.kotlin

import dev.offload.coroutines.mapInWorkers
import dev.offload.coroutines.mapInWorkersCatching
import dev.offload.coroutines.progress.TerminalProgressBar
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlin.time.Duration.Companion.seconds

/** Flows through worker JVMs: an ordered parallel map, an endless input cut short, per-item outcomes. */
fun main() = runBlocking {
    // In a terminal this draws a progress bar; elsewhere (CI, tests) it stays quiet.
    val fibs = (25..30).toList().mapInWorkers(::fib, concurrency = 2, progress = TerminalProgressBar.create("fib"))
    println("fib(25..30) = $fibs")

    val endless = flow {
        var n = 10
        while (true) emit(n++)
    }
    println("primes below 10, 11, 12 (of an endless input): ${endless.mapInWorkers(::countPrimes).take(3).toList()}")

    val outcomes = listOf(20, -1, 21).asFlow()
        .mapInWorkersCatching(::riskyWork, concurrency = 2, taskTimeout = 2.seconds).toList()
    for (o in outcomes) {
        println("  ${o.input()}: " + if (o.isSuccess) "${o.value()}" else "failed (${o.failure().javaClass.simpleName})")
    }
}

/** Hangs on a negative input: the map times that item out and kills its worker. */
fun riskyWork(n: Int): Long = if (n < 0) spinForever() else fib(n)
