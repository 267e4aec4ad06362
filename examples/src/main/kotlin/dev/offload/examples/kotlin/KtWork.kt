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

/** Something expensive to build once per worker: a lookup table standing in for a model on a device. */
class Vocabulary(val device: String, val words: Map<String, Int>) {
    var served = 0
}

/** Stateful-map init: once per worker, with its slot and its slot's device. */
fun loadVocabulary(slot: Int, device: String): Vocabulary =
    Vocabulary(device, (0 until 50_000).associate { "w$it" to it * 7 % 1000 })

/** Stateful-map apply: scores a sentence with the worker's vocabulary. */
fun score(vocabulary: Vocabulary, sentence: String): Int {
    vocabulary.served++
    return sentence.split(' ').sumOf { vocabulary.words[it] ?: 0 }
}

/** Stateful-map close: runs in the worker when the map ends. */
fun unloadVocabulary(vocabulary: Vocabulary) {
    println("unloaded the vocabulary on ${vocabulary.device} after ${vocabulary.served} sentences")
}
