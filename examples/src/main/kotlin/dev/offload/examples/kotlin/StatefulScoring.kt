package dev.offload.examples.kotlin

import dev.offload.coroutines.mapInWorkers
import dev.offload.coroutines.statefulTask
import kotlinx.coroutines.runBlocking

/** A stateful map: each worker loads its vocabulary once, scores many sentences with it, and unloads it at the end. */
fun main() = runBlocking {
    val task = statefulTask(listOf("cpu:0", "cpu:1"), ::loadVocabulary, ::score, close = ::unloadVocabulary)
    val sentences = (0 until 12).map { i -> "w$i w${i * 2} w${i * 3} unknown" }
    val scores = sentences.mapInWorkers(task)
    println("scores: $scores")
}
