package dev.offload.coroutines

import dev.offload.BrokenWorkerException
import dev.offload.MapFailedException
import dev.offload.MapOptions
import dev.offload.Outcome
import dev.offload.coroutines.testing.OffloadKotestExtension
import dev.offload.Offload
import dev.offload.coroutines.testing.WorkerLeaks
import io.kotest.assertions.nondeterministic.eventually
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.util.concurrent.TimeoutException
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.onEach
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

    test("a fail-fast failure names the item that stopped the map") {
        val e = shouldThrow<IllegalArgumentException> { listOf(2, 4, 7, 8).mapInWorkers(::squareEven, concurrency = 1) }
        // With stack-trace recovery on (as under -ea), the exception caught is a copy whose cause is the thrown one.
        fun notes(t: Throwable) = generateSequence(t) { it.cause }.flatMap { it.suppressed.asSequence() }
            .map { it.message!!.substringBefore(" of the map") }.distinct().toList()
        notes(e) shouldBe listOf("thrown by item 2")
        val flow = shouldThrow<IllegalArgumentException> {
            listOf(1, 2).asFlow().mapInWorkers(::squareEven, concurrency = 1).toList()
        }
        notes(flow) shouldBe listOf("thrown by item 0")
    }

    test("collect throws one aggregate with every failure in input order") {
        val e = shouldThrow<MapFailedException> {
            (0 until 6).toList().mapInWorkers(::failFor, errors = MapOptions.Errors.COLLECT, ordered = false)
        }
        e.failures().map { it.index() } shouldBe (0L until 6L).toList()
    }

    test("collect stops once maxFailures elements failed, and maxFailures without collect is refused") {
        var read = 0
        val e = shouldThrow<MapFailedException> {
            (0 until 1_000).asFlow().onEach { read++ }
                .mapInWorkers(::squareEven, concurrency = 1, errors = MapOptions.Errors.COLLECT, maxFailures = 2)
                .collect { }
        }
        e.failures().map { it.index() } shouldBe listOf(1L, 3L)
        e.message!! shouldContain "maxFailures"
        withClue("elements read after the limit: $read") { (read < 20) shouldBe true }
        val refused = shouldThrow<IllegalArgumentException> { listOf(1, 2).mapInWorkers(::squareEven, maxFailures = 3) }
        refused.message!! shouldContain "maxFailures (3) applies only with errors = MapOptions.Errors.COLLECT"
    }

    test("a progress listener that throws ends the map, whose clean-up still runs") {
        val e = shouldThrow<IllegalStateException> {
            listOf(2, 4, 6, 8).mapInWorkers(::squareEven, concurrency = 2,
                progress = { if (it.isFinal) throw IllegalStateException("listener broke") })
        }
        e.message shouldBe "listener broke"
        // A map that failed itself throws its own failure, the listener's as suppressed.
        val failed = shouldThrow<MapFailedException> {
            (1..4).toList().mapInWorkers(::squareEven, concurrency = 2, errors = MapOptions.Errors.COLLECT,
                progress = { if (it.isFinal) throw IllegalStateException("listener broke") })
        }
        failed.suppressed.last().message shouldBe "listener broke" // after the failures it lists
        val threads = shouldThrow<IllegalStateException> {
            listOf(2, 4).mapInWorkers(::squareEven, backend = MapOptions.Backend.THREADS,
                progress = { if (it.isFinal) throw IllegalStateException("again") })
        }
        threads.message shouldBe "again"
        eventually(10.seconds) {
            Thread.getAllStackTraces().keys.count { it.name == "offload-map-kt" && it.isAlive } shouldBe 0
        }
        dev.offload.coroutines.currentWorkerContext().statistics().runningWorkers() shouldBe 0
    }

    test("per-item outcomes keep every element in place") {
        val out = listOf(1, 2, 3).asFlow().mapInWorkersCatching(::squareEven).toList()
        out[0].isSuccess shouldBe false
        out[0].failure().shouldBeInstanceOf<IllegalArgumentException>().message shouldBe "odd 1"
        out[1].value() shouldBe 4
        out[2].input() shouldBe 3
    }

    test("per-item outcomes of a collection, as a list: plain and stateful") {
        val out: List<Outcome<Int, Int>> = listOf(1, 2, 3).mapInWorkersCatching(::squareEven, concurrency = 2)
        out.map { it.index() } shouldBe listOf(0L, 1L, 2L)
        out[0].failure().shouldBeInstanceOf<IllegalArgumentException>().message shouldBe "odd 1"
        out[1].value() shouldBe 4
        out[2].input() shouldBe 3
        val task = statefulTask(listOf("a"), ::openSlot, ::applySlot)
        val rows = listOf(2, -1, 3).mapInWorkersCatching(task)
        rows.map { it.isSuccess } shouldBe listOf(true, false, true)
        rows[1].failure().shouldBeInstanceOf<BrokenWorkerException>().exitCode().asInt shouldBe 5
        rows[2].value().substringAfterLast("|") shouldBe "9"
    }

    test("a task past its timeout fails alone and its worker is killed") {
        // Warm two workers first: a fresh worker's first Kotlin call loads kotlinx-serialization (~0.2 s).
        listOf(0, 1).mapInWorkers(::hangIfNegative, concurrency = 2)
        val out = listOf(1, -1, 2, 3).asFlow()
            .mapInWorkersCatching(::hangIfNegative, concurrency = 2, taskTimeout = 1.seconds).toList()
        withClue(out.toString()) { out.map { it.isSuccess } shouldBe listOf(true, false, true, true) }
        out[1].failure().shouldBeInstanceOf<TimeoutException>().message!! shouldContain "its worker was killed"
    }

    test("the timed-out element's worker is the one killed, and no later element runs on it") {
        val dir = kotlin.io.path.createTempDirectory("offload-timeout").toFile()
        try {
            listOf("w0", "w1").mapInWorkers(::pidOrHang, concurrency = 2) // warm: kotlinx-serialization loaded
            val pidFile = java.io.File(dir, "pid").path
            val out = listOf("a", pidFile, "b", "c", "d").asFlow()
                .mapInWorkersCatching(::pidOrHang, concurrency = 2, taskTimeout = 1.seconds).toList()
            withClue(out.toString()) { out.map { it.isSuccess } shouldBe listOf(true, false, true, true, true) }
            val killed = java.io.File(pidFile).readText().toLong()
            out.drop(2).map { it.value() } shouldNotContain killed
            eventually(10.seconds) { (killed in WorkerLeaks.liveWorkerPids()) shouldBe false }
        } finally {
            dir.deleteRecursively()
        }
    }

    test("threads and inline backends give the same results, timeouts interrupt on threads") {
        for (backend in listOf(MapOptions.Backend.THREADS, MapOptions.Backend.INLINE)) {
            for (n in listOf(0, 1, 7, 100)) {
                val inputs = (0 until n).toList()
                inputs.mapInWorkers(::square, concurrency = 3, backend = backend) shouldBe inputs.map { it * it }
                inputs.asFlow().mapInWorkers(::square, ordered = false, backend = backend).toList()
                    .shouldContainExactlyInAnyOrder(inputs.map { it * it })
            }
            shouldThrow<IllegalStateException> { listOf(1, 2).mapInWorkers(::failFor, backend = backend) }
        }
        val out = listOf(1, -1, 2).asFlow().mapInWorkersCatching(
            ::hangIfNegative, concurrency = 2, taskTimeout = 300.milliseconds, backend = MapOptions.Backend.THREADS,
        ).toList()
        out.map { it.isSuccess } shouldBe listOf(true, false, true)
        out[1].failure().shouldBeInstanceOf<TimeoutException>().message!! shouldContain "the task was interrupted"
    }

    test("stateful: init once per worker with its slot argument, close at the end, workers back in the cache") {
        val dir = kotlin.io.path.createTempDirectory("offload-slots").toFile()
        try {
            val args = (0 until 3).map { java.io.File(dir, "slot$it").path }
            val task = statefulTask(args, ::openSlot, ::applySlot, close = ::closeSlot)
            val rows = (0 until 60).toList().mapInWorkers(task).map { it.split("|") }
            rows.map { it[5].toInt() } shouldBe (0 until 60).map { it * it }
            val slotOfPid = HashMap<String, Int>()
            for (r in rows) {
                val slot = r[0].toInt()
                r[1] shouldBe args[slot]
                r[3] shouldBe "1" // one init in that worker JVM
                slotOfPid.getOrPut(r[2]) { slot } shouldBe slot
            }
            for (slot in rows.map { it[0].toInt() }.toSet()) {
                val closed = java.io.File(args[slot]).readLines()
                closed.size shouldBe 1
                slotOfPid[closed[0].split(" ")[1]] shouldBe slot
            }
            val ctx = kotlinx.coroutines.currentCoroutineContext()[WorkerContextElement]?.context ?: Offload.defaultContext()
            ctx.statistics().idleWorkers() shouldBeGreaterThanOrEqual slotOfPid.size
        } finally {
            dir.deleteRecursively()
        }
    }

    test("a flow collected twice at once runs each collection at its own concurrency") {
        val flow = (0 until 4).asFlow().mapInWorkers(::sleepThenReturnInt, concurrency = 2)
        val peak = java.util.concurrent.atomic.AtomicInteger()
        val ctx = dev.offload.coroutines.currentWorkerContext()
        kotlinx.coroutines.coroutineScope {
            val watcher = launch(kotlinx.coroutines.Dispatchers.IO) {
                while (true) {
                    peak.accumulateAndGet(ctx.statistics().runningWorkers(), ::maxOf)
                    delay(5)
                }
            }
            val a = async { flow.toList() }
            val b = async { flow.toList() }
            a.await() shouldBe listOf(300, 300, 300, 300)
            b.await() shouldBe listOf(300, 300, 300, 300)
            watcher.cancel()
        }
        withClue("peak running ${peak.get()}") { (peak.get() >= 3) shouldBe true }
    }

    test("stateful: every slot's failing close is reported and every slot freed, on every backend") {
        for (backend in MapOptions.Backend.values()) {
            withClue(backend) {
                val slots = if (backend == MapOptions.Backend.INLINE) 1 else 2
                val task = statefulTask(List(slots) { "s$it" }, ::openSlot, ::applySlot, close = ::failingCloseSlot)
                val e = shouldThrow<IllegalStateException> {
                    (0 until 8).toList().mapInWorkers(task, backend = backend)
                }
                e.message!! shouldContain "closing the state of slot 0 failed"
                e.suppressed.map { it.message!!.substringBefore(":") } shouldBe
                    (1 until slots).map { "closing the state of slot $it failed" }
                dev.offload.coroutines.currentWorkerContext().statistics().pinnedWorkers() shouldBe 0
            }
        }
    }

    test("stateful: a replacement worker gets the same slot argument again") {
        val task = statefulTask(listOf("gpu0", "gpu1"), ::openSlot, ::applySlot)
        val out = (0 until 30).map { if (it == 3) -1 else it }.asFlow().mapInWorkersCatching(task).toList()
        out.filter { !it.isSuccess }.map { it.index() } shouldBe listOf(3L)
        out[3].failure().shouldBeInstanceOf<BrokenWorkerException>().exitCode().asInt shouldBe 5
        val rows = out.filter { it.isSuccess }.map { it.value().split("|") }
        rows.forEach { r ->
            r[1] shouldBe listOf("gpu0", "gpu1")[r[0].toInt()]
            r[3] shouldBe "1"
        }
        val pidsPerSlot = rows.groupBy({ it[0] }, { it[2] }).mapValues { it.value.toSet().size }
        withClue(rows.toString()) { pidsPerSlot.values.sorted() shouldBe listOf(1, 2) }
    }

    test("stateful on threads and inline: one state per slot, never shared") {
        for (backend in listOf(MapOptions.Backend.THREADS, MapOptions.Backend.INLINE)) {
            val before = SLOT_INITS.get()
            val rows = (0 until 40).toList()
                .mapInWorkers(statefulTask(::openSlotWithoutArgument, ::applySlot), concurrency = 3, backend = backend)
                .map { it.split("|") }
            rows.size shouldBe 40
            val threadsPerSlot = rows.groupBy({ it[0] }, { it[4] }).mapValues { it.value.toSet() }
            threadsPerSlot.values.forEach { it.size shouldBe 1 }
            (SLOT_INITS.get() - before) shouldBe threadsPerSlot.size
            if (backend == MapOptions.Backend.INLINE) threadsPerSlot.keys shouldBe setOf("0")
        }
    }

    test("stateful: take(3) on an endless flow stops, and the pinned workers go back to the cache") {
        val endless = flow {
            var i = 0
            while (true) emit(i++)
        }
        val task = statefulTask(listOf("a", "b"), ::openSlot, ::applySlot)
        val firstThree = withTimeout(30.seconds) { endless.mapInWorkers(task).take(3).toList() }
        firstThree.map { it.split("|")[5].toInt() } shouldBe listOf(0, 1, 4)
        val stats = currentWorkerContext().statistics()
        stats.runningWorkers() shouldBe 0
        // each slot's worker was either killed (its element cancelled) or released back to the cache
        (stats.idleWorkers() + stats.workersKilled()) shouldBe stats.workersStarted()
    }

    test("stateful: mismatched concurrency and lambdas are refused") {
        shouldThrow<IllegalArgumentException> {
            listOf(1).mapInWorkers(statefulTask(listOf("a", "b"), ::openSlot, ::applySlot), concurrency = 3)
        }.message shouldBe "concurrency 3 does not match the 2 slot arguments: a stateful map has one slot per " +
            "argument; leave concurrency unset or give 3 arguments"
        shouldThrow<IllegalArgumentException> {
            listOf(1).mapInWorkers(statefulTask({ s: Int -> openSlotWithoutArgument(s) }, ::applySlot))
        }.message!! shouldContain "cannot run a lambda"
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
