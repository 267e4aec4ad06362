package dev.offload.coroutines

import dev.offload.BrokenWorkerException
import dev.offload.MapFailedException
import dev.offload.MapOptions
import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.concurrent.TimeoutException
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.withTimeout

class MapInWorkersSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("squares every input, ordered and unordered, at every concurrency") {
        for (n in listOf(0, 1, 2, 7, 100)) {
            for (c in listOf(1, 3, 4)) {
                val inputs = (0 until n).toList()
                val expected = inputs.map { it * it }
                inputs.mapInWorkers(::square, concurrency = c) shouldBe expected
                inputs.asFlow().mapInWorkers(::square, concurrency = c, ordered = false).toList() shouldContainExactlyInAnyOrder
                    expected
            }
        }
    }

    test("fail fast throws the element's own exception") {
        val e = shouldThrow<IllegalStateException> { (0 until 5).toList().mapInWorkers(::failFor) }
        e.message!! shouldContain "item "
    }

    test("collect throws one aggregate with every failure in input order") {
        val e = shouldThrow<MapFailedException> {
            (0 until 6).toList().mapInWorkers(::failFor, errors = MapOptions.Errors.COLLECT, ordered = false)
        }
        e.failures().map { it.index() } shouldBe (0L until 6L).toList()
    }

    test("per-item outcomes keep every element in place") {
        val out = listOf(1, 2, 3).asFlow().mapInWorkersCatching(::squareEven).toList()
        out[0].isSuccess shouldBe false
        out[0].failure().shouldBeInstanceOf<IllegalArgumentException>().message shouldBe "odd 1"
        out[1].value() shouldBe 4
        out[2].input() shouldBe 3
    }

    test("a task past its timeout fails alone and its worker is killed") {
        // Warm two workers first: a fresh worker's first Kotlin call loads kotlinx-serialization (~0.2 s).
        listOf(0, 1).mapInWorkers(::hangIfNegative, concurrency = 2)
        val out = listOf(1, -1, 2, 3).asFlow()
            .mapInWorkersCatching(::hangIfNegative, concurrency = 2, taskTimeout = 1.seconds).toList()
        withClue(out.toString()) { out.map { it.isSuccess } shouldBe listOf(true, false, true, true) }
        out[1].failure().shouldBeInstanceOf<TimeoutException>().message!! shouldContain "its worker was killed"
    }

    test("a worker that exits fails only its element") {
        val out = (0 until 10).asFlow().mapInWorkersCatching(::exitOnSeven, concurrency = 2).toList()
        out.filter { !it.isSuccess }.map { it.index() } shouldBe listOf(7L)
        out[7].failure().shouldBeInstanceOf<BrokenWorkerException>().exitCode().asInt shouldBe 7
    }

    test("take(3) on an endless flow returns three results and cancels the rest") {
        val endless = flow {
            var i = 0
            while (true) emit(i++)
        }
        withTimeout(30.seconds) { endless.mapInWorkers(::square, concurrency = 2).take(3).toList() } shouldBe
            listOf(0, 1, 4)
        val stats = currentWorkerContext().statistics()
        stats.runningWorkers() shouldBe 0
    }

    test("an exception from the source flow propagates and cancels the elements in flight") {
        val failing = flow {
            emit(-1)
            delay(200)
            throw IllegalStateException("source broke")
        }
        shouldThrow<IllegalStateException> { failing.mapInWorkers(::hangIfNegative).toList() }.message shouldBe
            "source broke"
        currentWorkerContext().statistics().runningWorkers() shouldBe 0
    }

    test("bad options and lambdas are refused before anything runs") {
        shouldThrow<IllegalArgumentException> { listOf(1).mapInWorkers(::square, concurrency = 0) }.message shouldBe
            "concurrency must be > 0, was 0; use autoConcurrency() for processors - 1"
        val k = 2
        shouldThrow<IllegalArgumentException> { listOf(1).mapInWorkers({ x: Int -> x * k }) }.message!! shouldContain
            "cannot run a lambda"
    }
})
