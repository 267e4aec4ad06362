package dev.offload.coroutines

import dev.offload.Offload
import dev.offload.WorkerConfig
import dev.offload.coroutines.testing.WorkerLeaks
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch

class ScopeSpec : FunSpec({
    afterEach {
        Offload.defaultContext().close()
        WorkerLeaks.killLeaked(emptySet()).shouldBeEmpty()
    }

    test("inside withWorkerContext runSync uses other workers than outside, nested scopes their own") {
        val outside = runSync(::pid)
        withWorkerContext {
            val inside = runSync(::pid)
            inside shouldNotBe outside
            runSync(::pid) shouldBe inside // LIFO reuse within the scope
            withWorkerContext {
                val nested = runSync(::pid)
                nested shouldNotBe inside
                nested shouldNotBe outside
            }
            runSync(::pid) shouldBe inside
        }
        runSync(::pid) shouldBe outside // the default is back
    }

    test("coroutines launched inside the block inherit the scope; launched into an outer scope they do not") {
        val outer = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        try {
            val outside = runSync(::pid)
            withWorkerContext {
                val inside = runSync(::pid)
                async { runSync(::pid) }.await() shouldBe inside
                outer.async { runSync(::pid) }.await() shouldBe outside
            }
        } finally {
            outer.cancel()
        }
    }

    test("after the block the scope's workers are gone") {
        lateinit var pids: List<Long>
        withWorkerContext(WorkerConfig.builder().build()) {
            pids = coroutineScope { (1..2).map { async { runSync(::sleepThenReturn, 300L).let { runSync(::pid) } } } }
                .map { it.await() }
        }
        for (pid in pids) {
            ProcessHandle.of(pid).map { it.isAlive }.orElse(false) shouldBe false
        }
        currentWorkerContext() shouldBe Offload.defaultContext()
    }

    test("if the block fails, its running calls are cancelled and their workers killed") {
        val dir = java.nio.file.Files.createTempDirectory("offload-scope").toFile()
        val marker = java.io.File(dir, "running")
        var worker = 0L
        val failure = io.kotest.assertions.throwables.shouldThrow<IllegalStateException> {
            withWorkerContext {
                worker = runSync(::pid)
                launch { runSync(::touchThenSleep, marker.path, 60_000L) }
                while (!marker.exists()) kotlinx.coroutines.delay(10)
                throw IllegalStateException("the block failed")
            }
        }
        failure.message shouldBe "the block failed"
        ProcessHandle.of(worker).map { it.isAlive }.orElse(false) shouldBe false
        WorkerLeaks.liveWorkerPids().shouldBeEmpty()
        dir.deleteRecursively()
    }

    test("an unclean shutdown of the scope's workers is reported when the block ends") {
        val e = io.kotest.assertions.throwables.shouldThrow<dev.offload.BrokenWorkerException> {
            withWorkerContext { runSync(::exitBadlyOnShutdown) }
        }
        e.message shouldBe "graceful shutdown failed: 1 nonzero exit code and 0 forced kills"
        e.suppressed.single().message!!.contains("exited with code 3") shouldBe true
    }

    test("the element carries the context and the format") {
        withWorkerContext(format = PayloadFormat.Binary) {
            val element = coroutineContext[WorkerContextElement]!!
            element.format shouldBe PayloadFormat.Binary
            currentWorkerContext() shouldBe element.context
        }
    }

    test("an explicit context is never overridden by the enclosing scope") {
        val explicit = dev.offload.WorkerContext.open()
        try {
            val pinned = runSync(::pid, context = explicit)
            withWorkerContext {
                runSync(::pid, context = explicit) shouldBe pinned
                runSync(::pid) shouldNotBe pinned
            }
        } finally {
            explicit.close()
        }
    }
})
