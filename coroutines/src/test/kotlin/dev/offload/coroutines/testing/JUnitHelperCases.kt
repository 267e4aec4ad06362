package dev.offload.coroutines.testing

import dev.offload.WorkerContext
import dev.offload.coroutines.pid
import dev.offload.coroutines.runSync
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import dev.offload.coroutines.sleepThenReturn
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.parallel.Execution
import org.junit.jupiter.api.parallel.ExecutionMode

/** Run only through EngineTestKit by TestHelpersSpec (the name keeps Surefire away from it). */
@ExtendWith(OffloadJUnitExtension::class)
class JUnitHelperCases {
    @Test
    fun usesItsOwnContext(ctx: WorkerContext) = runBlocking {
        assertNotEquals(ProcessHandle.current().pid(), runSync(::pid, context = ctx))
    }

    @Test
    fun leaksAWorker() {
        LeakingWorker.start()
    }

    @Test
    fun usesTheDefaultContext() = runBlocking {
        assertNotEquals(ProcessHandle.current().pid(), runSync(::pid)) // its worker outlives the test by design
    }
}

/** Two tests at once, each in its own context: neither may take the other's worker for a leak. */
@ExtendWith(OffloadJUnitExtension::class)
@Execution(ExecutionMode.CONCURRENT)
class JUnitParallelCases {
    @Test
    fun slow(ctx: WorkerContext) {
        runBlocking {
            assertEquals(0L, runSync(::sleepThenReturn, 0L, context = ctx)) // its worker is up
            slowRunning.countDown()
            assertEquals(3_000L, runSync(::sleepThenReturn, 3_000L, context = ctx))
        }
    }

    @Test
    fun quick(ctx: WorkerContext) {
        // Ends while the other test's call runs: its leak check must not take that worker for its own.
        assertTrue(slowRunning.await(30, java.util.concurrent.TimeUnit.SECONDS), "the two tests did not overlap")
        runBlocking { assertNotEquals(ProcessHandle.current().pid(), runSync(::pid, context = ctx)) }
    }

    private companion object {
        val slowRunning = java.util.concurrent.CountDownLatch(1)
    }
}

/** Two tests that share one context, opened before them and closed after them: its workers are no test's leak. */
@ExtendWith(OffloadJUnitExtension::class)
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class JUnitSharedContextCases {
    private lateinit var shared: WorkerContext

    @org.junit.jupiter.api.BeforeAll
    fun open() {
        shared = WorkerContext.open()
    }

    @org.junit.jupiter.api.AfterAll
    fun close() {
        shared.close() // throws if the extension killed its workers
    }

    @Test
    fun first() = runBlocking { assertNotEquals(ProcessHandle.current().pid(), runSync(::pid, context = shared)) }

    @Test
    fun second() = runBlocking { assertNotEquals(ProcessHandle.current().pid(), runSync(::pid, context = shared)) }
}

/** A test whose injected context fails to close (a call left running past a short grace period) and that leaks. */
class JUnitCloseFailureCases {
    @JvmField
    @org.junit.jupiter.api.extension.RegisterExtension
    val offload = OffloadJUnitExtension(
        dev.offload.WorkerConfig.builder().gracePeriod(java.time.Duration.ofMillis(200)).build(),
    )

    @Test
    fun leavesACallRunningAndLeaks(ctx: WorkerContext) {
        kotlinx.coroutines.CoroutineScope(kotlinx.coroutines.Dispatchers.IO).async {
            runSync(::sleepThenReturn, 60_000L, context = ctx) // fails when the close kills its worker
        }
        val deadline = System.nanoTime() + 30_000_000_000L
        while (ctx.statistics().runningWorkers() == 0 && System.nanoTime() < deadline) Thread.onSpinWait()
        LeakingWorker.start()
    }
}
