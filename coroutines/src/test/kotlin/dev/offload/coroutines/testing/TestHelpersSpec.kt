package dev.offload.coroutines.testing

import dev.offload.coroutines.WorkerContextElement
import dev.offload.coroutines.pid
import dev.offload.coroutines.runSync
import io.kotest.core.extensions.TestCaseExtension
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.core.test.TestCase
import io.kotest.engine.test.TestResult
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import kotlin.coroutines.coroutineContext
import org.junit.platform.engine.discovery.DiscoverySelectors.selectClass
import org.junit.platform.testkit.engine.EngineTestKit

/** Turns "the helper failed this test because it leaked" into a pass, and anything else into a failure. */
private class ExpectLeakReported(private val helper: OffloadKotestExtension) : TestCaseExtension {
    override suspend fun intercept(testCase: TestCase, execute: suspend (TestCase) -> TestResult): TestResult {
        val result = helper.intercept(testCase, execute)
        val message = result.errorOrNull?.message.orEmpty()
        return if (result.isFailure && message.contains("worker processes outlived the test")) {
            TestResult.Success(result.duration)
        } else {
            TestResult.Failure(result.duration, AssertionError("the helper did not report the leak: $result"))
        }
    }
}

class TestHelpersSpec : FunSpec({
    test("the kotest helper scopes each test in its own worker context") {
        val element = coroutineContext[WorkerContextElement]
        element shouldBe null // this spec does not install the helper globally
    }

    test("the kotest helper fails a test that leaks a worker").config(
        extensions = listOf(ExpectLeakReported(OffloadKotestExtension())),
    ) {
        coroutineContext[WorkerContextElement] shouldNotBe null
        runSync(::pid) shouldNotBe ProcessHandle.current().pid()
        LeakingWorker.start() // never stopped: the helper must find it, kill it and fail the test
    }

    test("the kotest helper passes a test whose workers are all closed").config(
        extensions = listOf(OffloadKotestExtension()),
    ) {
        runSync(::pid) shouldNotBe ProcessHandle.current().pid()
    }

    val shared = dev.offload.WorkerContext.open() // shared by the spec's tests, open before them
    afterSpec { shared.close() } // throws if a helper killed its worker

    test("the kotest helper leaves alone a context the spec shares, opened before the test").config(
        extensions = listOf(OffloadKotestExtension()),
    ) {
        runSync(::pid, context = shared) shouldNotBe ProcessHandle.current().pid() // starts the shared worker
    }

    test("the JUnit helper fails a test that leaks a worker, and passes one that does not") {
        val results = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(JUnitHelperCases::class.java))
            .execute()
            .testEvents()
        results.succeeded().count() shouldBe 2L // its own context, and the default context
        results.failed().count() shouldBe 1L
        val failure = results.failed().list().single().getPayload(org.junit.platform.engine.TestExecutionResult::class.java)
            .get().throwable.get()
        failure.message.orEmpty() shouldContain "worker processes outlived leaksAWorker"
        dev.offload.Offload.defaultContext().close() // the default context's worker is not the test's to close
        WorkerLeaks.liveWorkerPids() - dev.offload.internal.Secrets.core(shared).workerPids() shouldBe emptySet()
    }

    test("the JUnit helper leaves alone a context the test class shares, opened before its tests") {
        val results = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(JUnitSharedContextCases::class.java))
            .execute()
        val failures = results.allEvents().failed().list().map {
            it.getPayload(org.junit.platform.engine.TestExecutionResult::class.java).get().throwable.get()
        }
        withClue(failures.toString()) {
            results.testEvents().succeeded().count() shouldBe 2L
            failures shouldBe emptyList() // nor did the class's own close in @AfterAll fail
        }
        WorkerLeaks.liveWorkerPids() - dev.offload.internal.Secrets.core(shared).workerPids() shouldBe emptySet()
    }

    test("the JUnit helper reports a leak even when the injected context fails to close, with its configuration") {
        val results = EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(JUnitCloseFailureCases::class.java))
            .execute()
            .testEvents()
        val failure = results.failed().list().single()
            .getPayload(org.junit.platform.engine.TestExecutionResult::class.java).get().throwable.get()
        failure.message.orEmpty() shouldContain "graceful shutdown failed" // the 200 ms grace period elapsed
        // After the close report's own: the killed worker.
        failure.suppressed.last().message.orEmpty().substringBefore(":") shouldBe
            "worker processes outlived leavesACallRunningAndLeaks(WorkerContext)"
        WorkerLeaks.liveWorkerPids() - dev.offload.internal.Secrets.core(shared).workerPids() shouldBe emptySet()
    }

    test("the JUnit helper leaves parallel tests each other's workers") {
        val results = EngineTestKit.engine("junit-jupiter")
            .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
            .selectors(selectClass(JUnitParallelCases::class.java))
            .execute()
            .testEvents()
        withClue(results.failed().list().map { it.getPayload(org.junit.platform.engine.TestExecutionResult::class.java)
            .get().throwable.get() }.toString()) {
            results.succeeded().count() shouldBe 2L
        }
        WorkerLeaks.liveWorkerPids() - dev.offload.internal.Secrets.core(shared).workerPids() shouldBe emptySet()
    }
})
