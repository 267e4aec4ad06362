package dev.offload.coroutines.testing

import dev.offload.WorkerConfig
import dev.offload.coroutines.PayloadFormat
import dev.offload.coroutines.withWorkerContext
import io.kotest.core.extensions.TestCaseExtension
import io.kotest.core.test.TestCase
import io.kotest.engine.test.TestResult
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * Gives each kotest test its own worker context (every `runSync` in the test runs there) and fails the test if a
 * worker process it started is still alive afterwards.
 *
 * ```kotlin
 * class MySpec : FunSpec({
 *     extension(OffloadKotestExtension())
 *     test("fib") { runSync(::fib, 20) shouldBe 6765 }
 * })
 * ```
 *
 * Pitfall: a test that passes its own `context =` to `runSync` is checked for leaks but not scoped. The check counts
 * every worker of this JVM that is new since the test began, except the default context's and those of contexts
 * that were open before the test began and still are (one the spec shares between its tests, closed in `afterSpec`):
 * with tests that run concurrently (kotest's concurrency settings), another test's workers would count, so use it
 * with tests that run one at a time.
 *
 * @param config the configuration of each test's context.
 * @param format the default payload format inside each test.
 */
public class OffloadKotestExtension(
    private val config: WorkerConfig = WorkerConfig.defaults(),
    private val format: PayloadFormat = PayloadFormat.Json,
) : TestCaseExtension {
    override suspend fun intercept(testCase: TestCase, execute: suspend (TestCase) -> TestResult): TestResult {
        val before = WorkerLeaks.liveWorkerPids()
        val opened = WorkerLeaks.contextsOpened()
        val result = withWorkerContext(config, format) { execute(testCase) }
        val leaked = withContext(Dispatchers.IO) { WorkerLeaks.killLeaked(before, opened) }
        if (leaked.isEmpty() || result.isErrorOrFailure) {
            return result
        }
        return TestResult.Failure(
            result.duration,
            AssertionError("worker processes outlived the test '${testCase.name.name}': $leaked"),
        )
    }
}
