package dev.offload.coroutines.testing

import dev.offload.WorkerContext
import dev.offload.coroutines.pid
import dev.offload.coroutines.runSync
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
