package dev.offload.coroutines.testing

import dev.offload.WorkerContext
import dev.offload.coroutines.pid
import dev.offload.coroutines.runSync
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

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
}
