package dev.offload.coroutines

import dev.offload.BrokenWorkerException
import dev.offload.Limiter
import dev.offload.coroutines.testing.WorkerLeaks
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.io.File
import java.nio.file.Files
import java.util.concurrent.atomic.AtomicInteger
import kotlin.random.Random
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/** The Kotlin half of the soak; runs only with `mvn -B verify -Pstress` (system property offload.stress). */
class SoakSpec : FunSpec({
    // A race (fixed 2026-11-22) let an asynchronous call's late hand-over give a reader thread the pipe of a worker
    // that had moved on to a polled call, whose coroutine then waited for it until another call came: stalls of
    // seconds, and a Dispatchers.Default thread blocked, every few million calls of two coroutines.
    test("two coroutines on Dispatchers.Default make tiny calls for 45 s without a stall").config(
        enabled = System.getProperty("offload.stress") == "true",
        timeout = 3.minutes,
    ) {
        val longest = java.util.concurrent.atomic.AtomicLong()
        val calls = java.util.concurrent.atomic.AtomicLong()
        withContext(Dispatchers.Default) {
            withWorkerContext {
                val end = System.nanoTime() + 45_000_000_000L
                List(2) {
                    launch {
                        var last = System.nanoTime()
                        while (last < end) {
                            runSync(::square, 3) shouldBe 9
                            val now = System.nanoTime()
                            longest.accumulateAndGet(now - last, ::maxOf)
                            last = now
                            calls.incrementAndGet()
                        }
                    }
                }.forEach { it.join() }
            }
        }
        println("stall soak: ${calls.get()} calls in 45 s, longest call ${longest.get() / 1_000_000} ms")
        (longest.get() < 2_000_000_000L) shouldBe true
    }

    test("10,000 suspend calls with random timeouts, SIGKILLs and exceptions").config(
        enabled = System.getProperty("offload.stress") == "true",
        timeout = 8.minutes,
    ) {
        val dir = Files.createTempDirectory("offload-soak").toFile()
        val expected = mutableMapOf<String, AtomicInteger>()
        fun count(kind: String) = expected.getOrPut(kind) { AtomicInteger() }.incrementAndGet()
        val unexpected = AtomicInteger()
        val limiter = Limiter.create(2)
        val callers = Semaphore(8)
        val random = Random(42)
        val start = System.nanoTime()
        withContext(Dispatchers.Default) {
            withWorkerContext {
                repeat(10_000) { i ->
                    val roll = random.nextInt(1000)
                    val timeoutMillis = 1L + random.nextInt(30)
                    callers.acquire()
                    launch {
                        try {
                            when {
                                roll < 60 -> try {
                                    runSync(::failWith, "n$i", limiter = limiter)
                                    unexpected.incrementAndGet()
                                } catch (e: IllegalArgumentException) {
                                    if (e.message == "n$i") count("exception") else unexpected.incrementAndGet()
                                }
                                roll < 85 -> try {
                                    withTimeout(timeoutMillis.milliseconds) {
                                        runSync(::sleepThenReturn, 5L + i % 30, limiter = limiter)
                                    }
                                    count("finished before its timeout")
                                } catch (e: TimeoutCancellationException) {
                                    count("timeout")
                                }
                                roll < 100 -> {
                                    val pidFile = File(dir, "pid-$i")
                                    val killer = launch {
                                        while (!pidFile.exists()) delay(5)
                                        ProcessHandle.of(pidFile.readText().toLong()).ifPresent { it.destroyForcibly() }
                                    }
                                    try {
                                        runSync(::pidThenSleep, pidFile.path, 10_000L, limiter = limiter)
                                        unexpected.incrementAndGet()
                                    } catch (e: BrokenWorkerException) {
                                        if (e.signal().orElse("") == "SIGKILL") count("sigkill") else unexpected.incrementAndGet()
                                    } finally {
                                        killer.cancel()
                                    }
                                }
                                else -> if (runSync(::square, i % 1000, limiter = limiter) == (i % 1000) * (i % 1000)) {
                                    count("value")
                                } else {
                                    unexpected.incrementAndGet()
                                }
                            }
                        } catch (e: Throwable) {
                            if (e is kotlinx.coroutines.CancellationException && e !is TimeoutCancellationException) throw e
                            unexpected.incrementAndGet()
                            System.err.println("unexpected in call $i: $e")
                        } finally {
                            callers.release()
                        }
                    }
                }
            }
        }
        val seconds = (System.nanoTime() - start) / 1_000_000_000
        println("SOAK kotlin: 10000 calls in $seconds s, outcomes $expected, unexpected ${unexpected.get()}, " +
            "workers left ${WorkerLeaks.liveWorkerPids().size}")
        unexpected.get() shouldBe 0
        WorkerLeaks.liveWorkerPids() shouldBe emptySet()
        limiter.inUse() shouldBe 0
        dir.deleteRecursively()
    }
})
