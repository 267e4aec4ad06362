package dev.offload.coroutines

import dev.offload.BrokenWorkerException
import dev.offload.MapFailedException
import dev.offload.MapOptions
import dev.offload.coroutines.testing.OffloadKotestExtension
import dev.offload.coroutines.testing.WorkerLeaks
import io.kotest.assertions.nondeterministic.eventually
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.concurrent.TimeoutException
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeout

/** mapInWorkers with `batchSize`: several elements travel to a worker as one request. */
class BatchMapSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("every element gets its own result, ordered and unordered, on every backend") {
        for (backend in MapOptions.Backend.values()) {
            for (size in listOf(2, 7, 64)) {
                for (n in listOf(0, 1, 6, 7, 8, 100, 1001)) {
                    val inputs = (0 until n).toList()
                    val expected = inputs.map { it * it }
                    withClue("$backend batchSize=$size n=$n") {
                        inputs.mapInWorkers(::square, concurrency = 2, batchSize = size, backend = backend) shouldBe
                            expected
                        inputs.asFlow().mapInWorkers(::square, concurrency = 2, ordered = false, batchSize = size,
                            backend = backend).toList() shouldContainExactlyInAnyOrder expected
                    }
                }
            }
        }
    }

    test("a batch is one call, in one worker") {
        val before = currentWorkerContext().statistics().callsCompleted()
        val out = (0 until 1000).toList().mapInWorkers(::pidOf, concurrency = 2, batchSize = 100)
        currentWorkerContext().statistics().callsCompleted() - before shouldBe 10L
        for (b in 0 until 10) {
            withClue("batch $b") { out.subList(100 * b, 100 * b + 100).distinct().size shouldBe 1 }
        }
    }

    test("an element that throws fails only itself") {
        val out = (0 until 20).asFlow().mapInWorkersCatching(::squareEven, concurrency = 2, batchSize = 8).toList()
        for (o in out) {
            val x = o.index().toInt()
            if (x % 2 == 0) {
                o.value() shouldBe x * x
            } else {
                o.failure().shouldBeInstanceOf<IllegalArgumentException>().message shouldBe "odd $x"
            }
        }
        shouldThrow<IllegalArgumentException> {
            (0 until 20).toList().mapInWorkers(::squareEven, batchSize = 8)
        }.message!! shouldStartWith "odd "
        shouldThrow<MapFailedException> {
            (0 until 20).toList().mapInWorkers(::squareEven, batchSize = 8, errors = MapOptions.Errors.COLLECT)
        }.failures().map { it.index() } shouldBe (1L until 20L step 2).toList()
    }

    test("a worker that exits fails every element of its batch and no other") {
        val out = (0 until 14).asFlow().mapInWorkersCatching(::exitOnSeven, concurrency = 2, batchSize = 4).toList()
        out.size shouldBe 14
        for (o in out) {
            withClue(o) {
                if (o.index() in 4L..7L) {
                    o.failure().shouldBeInstanceOf<BrokenWorkerException>().exitCode().asInt shouldBe 7
                } else {
                    o.value() shouldBe o.index().toInt()
                }
            }
        }
    }

    test("the time limit covers a batch and kills its worker") {
        listOf(0, 1).mapInWorkers(::hangIfNegative, concurrency = 2) // two warm workers
        val before = WorkerLeaks.liveWorkerPids()
        val out = listOf(1, -1, 2, 3).asFlow()
            .mapInWorkersCatching(::hangIfNegative, concurrency = 2, batchSize = 2, taskTimeout = 500.milliseconds)
            .toList()
        for (i in 0..1) {
            out[i].failure().shouldBeInstanceOf<TimeoutException>().message!! shouldContain "its worker was killed"
        }
        out[2].value() shouldBe 2
        out[3].value() shouldBe 3
        eventually(10.seconds) { before.count { it !in WorkerLeaks.liveWorkerPids() } shouldBe 1 }
    }

    test("take(n) cancels the batches in flight and kills their workers") {
        listOf(0, 1).mapInWorkers(::hangIfNegative, concurrency = 2)
        val ctx = currentWorkerContext()
        val killedBefore = ctx.statistics().workersKilled()
        val firstTwo = listOf(1, 2, -1, -1, -1, -1).asFlow()
            .mapInWorkers(::hangIfNegative, concurrency = 2, batchSize = 2).take(2).toList()
        firstTwo shouldBe listOf(1, 2)
        // The second batch hangs in the other worker (the third may have started in the first one's by then).
        eventually(10.seconds) { ctx.statistics().runningWorkers() shouldBe 0 }
        (ctx.statistics().workersKilled() - killedBefore >= 1) shouldBe true
    }

    test("automatic batches give every element its result and carry several quick elements per call") {
        val inputs = (0 until 3000).toList()
        val expected = inputs.map { it * it }
        for (ordered in listOf(true, false)) {
            val before = currentWorkerContext().statistics().callsCompleted()
            val out = inputs.asFlow().mapInWorkers(::square, concurrency = 2, ordered = ordered,
                batchSize = AUTO_BATCH_SIZE).toList()
            val calls = currentWorkerContext().statistics().callsCompleted() - before
            withClue("ordered=$ordered") {
                if (ordered) out shouldBe expected else out shouldContainExactlyInAnyOrder expected
                // A call of a microsecond's work takes far less than the 10 ms under which batches grow.
                withClue("3000 quick elements took $calls calls") { (calls < 3000) shouldBe true }
            }
        }
        val outcomes = (0 until 500).asFlow().mapInWorkersCatching(::squareEven, concurrency = 2,
            batchSize = AUTO_BATCH_SIZE).toList()
        outcomes.map { it.index() } shouldBe (0L until 500L).toList()
        for (o in outcomes) {
            withClue(o) {
                if (o.index() % 2 == 0L) o.value() shouldBe (o.index() * o.index()).toInt() else o.isSuccess shouldBe false
            }
        }
    }

    test("automatic batches send elements slower than the growth bound one per call, within a given window") {
        val before = currentWorkerContext().statistics().callsCompleted()
        List(8) { 20L }.mapInWorkers(::sleepThenReturn, concurrency = 2, batchSize = AUTO_BATCH_SIZE) shouldBe
            List(8) { 20L }
        currentWorkerContext().statistics().callsCompleted() - before shouldBe 8L
        var pulled = 0
        var handed = 0
        var peak = 0
        (0 until 3000).asFlow().onEach { pulled++ }
            .mapInWorkers(::square, concurrency = 2, window = 6, batchSize = AUTO_BATCH_SIZE)
            .collect { r ->
                r shouldBe handed * handed
                handed++
                peak = maxOf(peak, pulled - handed) // in flight past the one just handed
            }
        handed shouldBe 3000
        withClue("held $peak elements at once with a window of 6") { (peak <= 6) shouldBe true }
    }

    test("an element whose function throws CancellationException or TimeoutException fails with it, batched or not") {
        for (size in listOf(1, 4)) {
            withClue("batchSize=$size") {
                val out = withTimeout(60.seconds) {
                    (0 until 6).asFlow().mapInWorkersCatching(::throwCancellation, concurrency = 2, batchSize = size)
                        .toList()
                }
                // As a RemoteTaskException: as itself, it would pass for the collector's own cancellation.
                out.map { it.failure().shouldBeInstanceOf<dev.offload.RemoteTaskException>().remoteMessage() } shouldBe
                    (0 until 6).map { "mine $it" }
                out.forEach {
                    (it.failure() as dev.offload.RemoteTaskException).remoteClassName() shouldBe
                        "java.util.concurrent.CancellationException"
                }
                for (limit in listOf(null, 30.seconds)) {
                    val timedOut = (0 until 3).asFlow().mapInWorkersCatching(::throwTimeout, concurrency = 2,
                        batchSize = size, taskTimeout = limit).toList()
                    timedOut.map { it.failure()?.message } shouldBe (0 until 3).map { "mine $it" }
                }
            }
        }
        for (backend in listOf(MapOptions.Backend.THREADS, MapOptions.Backend.INLINE)) {
            withClue(backend) {
                val out = (0 until 3).asFlow().mapInWorkersCatching(::throwCancellation, backend = backend).toList()
                out.map { (it.failure() as dev.offload.RemoteTaskException).remoteMessage() } shouldBe
                    (0 until 3).map { "mine $it" }
                val failFast = shouldThrow<dev.offload.RemoteTaskException> {
                    listOf(1).mapInWorkers(::throwCancellation, backend = backend)
                }
                failFast.remoteClassName() shouldBe "java.util.concurrent.CancellationException"
            }
        }
    }

    test("a batch size larger than the input allocates no more than the input") {
        listOf(1, 2, 3).mapInWorkers(::square, batchSize = Int.MAX_VALUE) shouldBe listOf(1, 4, 9)
    }

    test("bad batch settings are refused with what to do") {
        shouldThrow<IllegalArgumentException> { listOf(1).mapInWorkers(::square, batchSize = -1) }.message shouldBe
            "batchSize must be >= 1, was -1; 1 sends each item on its own, and AUTO_BATCH_SIZE (0) lets the map choose"
        shouldThrow<IllegalArgumentException> {
            listOf(1).mapInWorkers(::square, batchSize = 10, window = 4)
        }.message!! shouldContain "window (4) is smaller than batchSize (10)"
        listOf(1, 2).mapInWorkers(::square, batchSize = 10, window = 4, backend = MapOptions.Backend.THREADS) shouldBe
            listOf(1, 4)
    }
})
