package dev.offload.coroutines

import dev.offload.Limiter
import dev.offload.WorkerConfig
import dev.offload.WorkerContext
import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import java.io.File
import java.nio.file.Files
import kotlin.random.Random
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield

/**
 * A coroutine's call polls for its reply on the coroutine's own thread for a few microseconds, yielding between
 * polls, and leaves it to the worker's reader thread after that (or at once if the call waits for a worker). Replies
 * must reach the right call whichever side reads them, and a polling coroutine must never hold up the others of
 * its thread.
 */
class PollingSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("one worker serves quick, slow, queued and printing calls in any order, each reply to its own call") {
        val one = Limiter.create(1)
        WorkerContext.open().use { ctx ->
            runBlocking {
                val worker = runSync(::pid, context = ctx, limiter = one)
                val random = Random(11)
                repeat(400) { i ->
                    when (random.nextInt(5)) {
                        0 -> runSync(::fib, i % 20, context = ctx, limiter = one) shouldBe fib(i % 20)
                        1 -> runSync(::sleepThenReturn, 2L, context = ctx, limiter = one) shouldBe 2L // past the poll
                        2 -> { // the second waits for the permit, so it does not poll; the reader thread reads it
                            val calls = List(2) { k -> async { runSync(::fib, k + i % 10, context = ctx, limiter = one) } }
                            calls.awaitAll() shouldBe List(2) { k -> fib(k + i % 10) }
                        }
                        3 -> runSync(::printBoth, "line $i", context = ctx, limiter = one) shouldBe "line $i"
                        else -> { // a slow call handed to the reader thread, then quick ones polled again
                            runSync(::sleepThenReturn, 1L, context = ctx, limiter = one) shouldBe 1L
                            repeat(3) { k -> runSync(::fib, k, context = ctx, limiter = one) shouldBe fib(k) }
                        }
                    }
                }
                runSync(::pid, context = ctx, limiter = one) shouldBe worker // one worker served every call
            }
        }
    }

    test("large replies arrive whole whichever side reads them, as reading passes between the reader thread and callers") {
        val bytes = ByteArray(1 shl 20) { (it * 13).toByte() }
        WorkerContext.open().use { ctx ->
            runBlocking {
                repeat(30) { i ->
                    // A call longer than a poll goes to the reader thread, which goes on reading; a polled call then
                    // takes the pipe back while the worker may be writing a reply far larger than the pipe holds.
                    runSync(::sleepThenReturn, 1L, context = ctx) shouldBe 1L
                    runSync(::fib, i % 5, context = ctx) shouldBe fib(i % 5)
                    runSync(::reversedBytes, bytes, format = PayloadFormat.Binary, context = ctx)
                        .contentEquals(bytes.reversedArray()) shouldBe true
                }
            }
        }
    }

    test("two coroutines on one thread run their calls at once, and the thread stays free for others meanwhile") {
        val dir = Files.createTempDirectory("offload-polling").toFile()
        WorkerContext.open(WorkerConfig.builder().prestart(2).build()).use { ctx ->
            runBlocking { // one thread for all three coroutines
                val a = File(dir, "a").path
                val b = File(dir, "b").path
                var ticks = 0
                var met = false
                val ticker = launch {
                    while (isActive) {
                        delay(5)
                        if (File(a).exists() && File(b).exists()) met = true
                        if (met) ticks++
                    }
                }
                val calls = listOf(
                    async { runSync(::meetThenSleep, a, b, 300L, context = ctx) },
                    async { runSync(::meetThenSleep, b, a, 300L, context = ctx) },
                )
                calls.awaitAll() shouldBe listOf(true, true) // each saw the other running: they ran at once
                ticker.cancelAndJoin()
                // 300 ms of both calls running: a thread blocked in a read would not have ticked at all.
                ticks shouldBeGreaterThanOrEqual 5
            }
        }
        dir.deleteRecursively()
    }

    test("a call that printed and is still working leaves the coroutine's thread free while it polls") {
        val dir = Files.createTempDirectory("offload-print-poll").toFile()
        // The longest poll (10 ms): the function prints at once, so its print arrives while the coroutine polls.
        val config = WorkerConfig.builder().spinWait(java.time.Duration.ofMillis(10)).build()
        WorkerContext.open(config).use { ctx ->
            runBlocking { // one thread for the call and the coroutine that lets it finish
                val warm = File(dir, "warm").apply { createNewFile() }
                runSync(::printThenWait, warm.path, context = ctx) shouldBe "done" // resolved and printing once
                val marker = File(dir, "go")
                val call = async { runSync(::printThenWait, marker.path, context = ctx) }
                var ticks = 0
                while (ticks < 20) { // runs only while the call's coroutine yields the thread
                    delay(5)
                    ticks++
                }
                marker.createNewFile()
                call.await() shouldBe "done"
            }
        }
        dir.deleteRecursively()
    }

    test("coroutines cancelled at any point of their polling leave the worker and its replies in order") {
        WorkerContext.open().use { ctx ->
            runBlocking {
                val worker = runSync(::pid, context = ctx)
                repeat(300) { i ->
                    val job = launch {
                        while (true) runSync(::fib, 5, killOnCancel = false, context = ctx)
                    }
                    repeat(i % 9) { yield() } // cancelled before, while or after it polls, as it happens
                    job.cancelAndJoin()
                    runSync(::fib, i % 15, context = ctx) shouldBe fib(i % 15) // the next reply is its own
                }
                runSync(::pid, context = ctx) shouldBe worker // no call was killed, none lost its reply
                ctx.statistics().runningWorkers() shouldBe 0
            }
        }
    }
})
