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
 *     @Test fun fib(ctx: WorkerContext) = runBlocking { runSync(::fib, 20, context = ctx) }
 * }
 * ```
 *
 * Pitfall: calls that name no context run in the default context, which this extension does not close.
 */
public class OffloadJUnitExtension : BeforeEachCallback, AfterEachCallback, ParameterResolver {
    override fun beforeEach(context: ExtensionContext) {
        context.getStore(NAMESPACE).put(BEFORE, WorkerLeaks.liveWorkerPids())
    }

    override fun afterEach(context: ExtensionContext) {
        val store = context.getStore(NAMESPACE)
        store.remove(CONTEXT, WorkerContext::class.java)?.close()
        @Suppress("UNCHECKED_CAST")
        val before = store.remove(BEFORE) as Set<Long>? ?: emptySet()
        val leaked = WorkerLeaks.killLeaked(before)
        if (leaked.isNotEmpty()) {
            throw AssertionError("worker processes outlived ${context.displayName}: $leaked")
        }
    }

    override fun supportsParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Boolean =
        parameterContext.parameter.type == WorkerContext::class.java

    override fun resolveParameter(parameterContext: ParameterContext, extensionContext: ExtensionContext): Any =
        extensionContext.getStore(NAMESPACE).getOrComputeIfAbsent(CONTEXT, { WorkerContext.open(WorkerConfig.defaults()) }, WorkerContext::class.java)

    private companion object {
        val NAMESPACE: ExtensionContext.Namespace = ExtensionContext.Namespace.create(OffloadJUnitExtension::class.java)
        val BEFORE: String = "workers-before"
        val CONTEXT: String = "context"
    }
}
