package dev.offload.coroutines

import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import java.io.File
import java.nio.file.Files
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield

private fun alive(pid: Long): Boolean = ProcessHandle.of(pid).map { it.isAlive }.orElse(false)

/** Waits (polling, with a deadline) until [file] exists: the call that creates it is running. */
private suspend fun awaitFile(file: File) {
    val deadline = System.nanoTime() + 30_000_000_000L
    while (!file.exists()) {
        check(System.nanoTime() < deadline) { "the call never started: $file" }
        delay(10)
    }
}

class CancellationSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("withTimeout kills the worker running an endless loop") {
        val worker = runSync(::pid)
        val start = System.nanoTime()
        shouldThrow<TimeoutCancellationException> {
            withTimeout(200.milliseconds) { runSync(::spinForever) }
        }
        (System.nanoTime() - start) shouldBeLessThan 1_000_000_000L
        alive(worker) shouldBe false // runSync returned after the worker was reaped
        runSync(::fib, 10) shouldBe 55L
    }

    test("with killOnCancel = false the call completes and the cancellation follows") {
        val dir = Files.createTempDirectory("offload-spec").toFile()
        val marker = File(dir, "running")
        val worker = runSync(::pid)
        coroutineScope {
            val call = async { runSync(::touchThenSleep, marker.path, 500L, killOnCancel = false) }
            awaitFile(marker)
            call.cancelAndJoin()
            // The cancellation was delivered only once the call had run to its end and its worker was back.
            val stats = currentWorkerContext().statistics()
            stats.idleWorkers() shouldBe 1
            stats.runningWorkers() shouldBe 0
            shouldThrow<CancellationException> { call.await() }
        }
        alive(worker) shouldBe true
        runSync(::pid) shouldBe worker // the worker finished the call and was reused
        dir.deleteRecursively()
    }

    test("cancelling one of ten concurrent calls leaves the other nine correct") {
        coroutineScope {
            val calls = (0 until 10).map { i ->
                async { if (i == 3) runSync(::spinForever).toLong() else runSync(::sleepThenReturn, 200L + i) }
            }
            delay(100) // any moment will do: queued, starting or running, the other nine must be right
            calls[3].cancel()
            val results = calls.filterIndexed { i, _ -> i != 3 }.awaitAll()
            results shouldBe (0 until 10).filter { it != 3 }.map { 200L + it }
            shouldThrow<CancellationException> { calls[3].await() }
        }
    }

    test("a coroutine cancelled before it reaches a worker never touches one") {
        coroutineScope {
            val job = launch(start = CoroutineStart.UNDISPATCHED) {
                coroutineContext[kotlinx.coroutines.Job]!!.cancel()
                runSync(::pid)
            }
            job.join()
            job.isCancelled shouldBe true
        }
        currentWorkerContext().statistics().idleWorkers() shouldBe 0
        yield()
    }

    test("cancellation while waiting for the limiter withdraws the call") {
        val one = dev.offload.Limiter.create(1)
        coroutineScope {
            val holder = async { runSync(::sleepThenReturn, 1_000L, limiter = one) }
            withTimeout(10.seconds) { while (one.inUse() != 1) delay(10) }
            val waiting = async { runSync(::fib, 5, limiter = one) }
            withTimeout(10.seconds) { while (one.waiting() != 1) delay(10) }
            waiting.cancelAndJoin()
            one.waiting() shouldBe 0
            holder.cancelAndJoin()
        }
        withTimeout(5.seconds) {
            while (one.inUse() != 0) delay(10)
        }
    }
})
