package dev.offload.coroutines

import dev.offload.MapProgress
import dev.offload.coroutines.progress.TerminalProgressBar
import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.time.Duration
import java.util.Collections
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.toList

class ProgressSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("the final snapshot has every element completed; a list has a total, a flow has none") {
        val sized = Collections.synchronizedList(ArrayList<MapProgress>())
        (0 until 30).toList().mapInWorkers(::square, progress = { sized.add(it) })
        sized.last().isFinal shouldBe true
        sized.last().completed() shouldBe 30
        sized.last().total().asLong shouldBe 30

        val unsized = Collections.synchronizedList(ArrayList<MapProgress>())
        (0 until 12).asFlow().mapInWorkers(::square, progress = { unsized.add(it) }).toList()
        unsized.last().completed() shouldBe 12
        unsized.last().total().isPresent shouldBe false
    }

    test("the terminal bar shows percent and ETA for a known total, count and rate otherwise") {
        val sized = Collections.synchronizedList(ArrayList<String>())
        val bar = TerminalProgressBar.rendering("squares") { sized.add(it) }
        bar.onProgress(MapProgress.of(10, 10, 5, 0, Duration.ofSeconds(1), false))
        bar.onProgress(MapProgress.of(10, 10, 10, 1, Duration.ofSeconds(2), true))
        val last = sized.last()
        last shouldContain "squares 100%"
        last shouldContain "10/10"
        last shouldContain "/s 1 failed" // apart from the rate

        val unsized = Collections.synchronizedList(ArrayList<String>())
        val open = TerminalProgressBar.rendering("stream") { unsized.add(it) }
        open.onProgress(MapProgress.of(-1, 7, 5, 0, Duration.ofSeconds(1), false))
        open.onProgress(MapProgress.of(-1, 7, 7, 0, Duration.ofSeconds(1), true))
        unsized.last() shouldContain "7/7" // the count is known once the map ends
        unsized.last() shouldContain "/s"
    }

    test("a feature whose optional library is missing says what to add") {
        val e = io.kotest.assertions.throwables.shouldThrow<IllegalStateException> {
            dev.offload.coroutines.internal.requireOptionalLibrary("no.such.Library", "TerminalProgressBar",
                "me.tongfei:progressbar:0.10.2", javaClass.classLoader)
        }
        e.message shouldBe "TerminalProgressBar needs the library me.tongfei:progressbar:0.10.2, which is not on the " +
            "classpath: add it to your dependencies (Offload declares it optional)"
    }

    test("without a terminal the ready-made bar stays quiet") {
        // Tests run without a console, so create() gives the silent listener.
        (TerminalProgressBar.create("quiet") is TerminalProgressBar) shouldBe false
    }
})
