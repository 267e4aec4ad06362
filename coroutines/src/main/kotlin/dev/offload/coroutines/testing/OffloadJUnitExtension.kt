package dev.offload.coroutines.testing

import dev.offload.WorkerConfig
import dev.offload.WorkerContext
import org.junit.jupiter.api.extension.AfterEachCallback
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext
import org.junit.jupiter.api.extension.ParameterContext
import org.junit.jupiter.api.extension.ParameterResolver

/**
 * Gives each JUnit 5 test its own [WorkerContext] (inject it as a parameter) and fails the test if a worker process
 * it started is still alive afterwards. The context is closed after the test; an unclean close fails the test too.
 *
 * ```kotlin
 * @ExtendWith(OffloadJUnitExtension::class)
 * class MyTest {
 *     @Test fun fib(ctx: WorkerContext) {
 *         runBlocking { assertEquals(6765L, runSync(::fib, 20, context = ctx)) } // a test method returns nothing
 *     }
 * }
 * ```
 *
 * Calls that name no context run in the default context, which this extension neither closes nor counts: its
 * workers are not leaks. Nor are those of a context the test class shares between its tests (opened before the test
 * began, in `@BeforeAll` say, and still open after it): close it in `@AfterAll`. Only a test method's parameter is
 * injected; register the extension with `@RegisterExtension` and `OffloadJUnitExtension(config)` to configure the
 * injected contexts (a short `gracePeriod`, say, so that a test that leaves a call running fails fast). With JUnit's parallel execution (`junit.jupiter.execution.parallel.enabled`) other tests'
 * workers run meanwhile and the extension cannot tell which new workers are this test's: it then only closes the
 * injected context and checks its workers are gone, and a context the test opens itself and leaves open is not
 * caught. It never kills another test's worker.
 */
public class OffloadJUnitExtension @JvmOverloads constructor(
    private val config: WorkerConfig = WorkerConfig.defaults(),
) : BeforeEachCallback, AfterEachCallback, ParameterResolver {
    override fun beforeEach(context: ExtensionContext) {
        context.getStore(NAMESPACE).put(BEFORE, WorkerLeaks.liveWorkerPids())
        context.getStore(NAMESPACE).put(OPENED, WorkerLeaks.contextsOpened())
    }

    override fun afterEach(context: ExtensionContext) {
        val store = context.getStore(NAMESPACE)
        val own = store.remove(CONTEXT, WorkerContext::class.java)
        val ownPids = own?.let { dev.offload.internal.Secrets.core(it).workerPids() } ?: emptySet()
        @Suppress("UNCHECKED_CAST")
        val before = store.remove(BEFORE) as Set<Long>? ?: emptySet()
        val opened = store.remove(OPENED) as Long? ?: 0L
        var failure: Throwable? = null
        try {
            own?.close()
        } catch (e: Throwable) {
            failure = e // the leak check runs all the same
        }
        val parallel = context.getConfigurationParameter(PARALLEL).map { it.trim().toBoolean() }.orElse(false)
        // In parallel, a worker that is new since the test began may be another test's: only the injected
        // context's workers are the test's own for sure, and none of them may outlive its close.
        val leaked = if (parallel) outliving(ownPids) else WorkerLeaks.killLeaked(before, opened)
        if (leaked.isNotEmpty()) {
            val leak = AssertionError("worker processes outlived ${context.displayName}: $leaked")
            val closing = failure
            if (closing == null) failure = leak else closing.addSuppressed(leak)
        }
        failure?.let { throw it }
    }

    /** A [WorkerContext] parameter of a test method (not of a `@BeforeAll`/`@BeforeEach` method or constructor). */
    override fun supportsParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Boolean =
        parameterContext.parameter.type == WorkerContext::class.java &&
            parameterContext.declaringExecutable == extensionContext.testMethod.orElse(null)

    override fun resolveParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Any =
        extensionContext.getStore(NAMESPACE).getOrComputeIfAbsent(CONTEXT, { WorkerContext.open(config) },
            WorkerContext::class.java)

    /** Waits up to 2 s for [pids] to exit; kills and returns those still alive. */
    private fun outliving(pids: Set<Long>): Set<Long> {
        val deadline = System.nanoTime() + java.time.Duration.ofSeconds(2).toNanos()
        var alive = pids intersect WorkerLeaks.liveWorkerPids()
        while (alive.isNotEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20)
            alive = pids intersect WorkerLeaks.liveWorkerPids()
        }
        alive.forEach { pid -> ProcessHandle.of(pid).ifPresent { it.destroyForcibly() } }
        return alive
    }

    private companion object {
        val NAMESPACE: ExtensionContext.Namespace = ExtensionContext.Namespace.create(OffloadJUnitExtension::class.java)
        val BEFORE: String = "workers-before"
        val CONTEXT: String = "context"
        val OPENED: String = "contexts-opened-before"
        val PARALLEL: String = "junit.jupiter.execution.parallel.enabled"
    }
}
