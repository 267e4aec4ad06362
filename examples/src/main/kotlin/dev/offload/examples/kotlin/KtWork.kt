package dev.offload.examples.kotlin

import kotlinx.serialization.Serializable

// Plain functions the Kotlin examples run in workers.

fun fib(n: Int): Long = if (n < 2) n.toLong() else fib(n - 1) + fib(n - 2)

fun countPrimes(limit: Int): Int = (2 until limit).count { n -> (2..Math.sqrt(n.toDouble()).toInt()).none { n % it == 0 } }

fun spinForever(): Long {
    var x = 1L
    while (x != 0L) x = x * 6364136223846793005L + 1442695040888963407L or 1L
    return x
}

fun workerPid(): Long = ProcessHandle.current().pid()

fun retireAlways(): Boolean = true

@Serializable
data class Stats(val count: Int, val mean: Double, val max: Double)

fun summarize(values: List<Double>): Stats = Stats(values.size, values.average(), values.maxOrNull() ?: Double.NaN)
