package dev.offload.coroutines.testing

import java.time.Duration

/**
 * Finds worker processes that outlive a test: descendants of this JVM that run Offload's worker main and were not
 * alive when the test began. Used by [OffloadKotestExtension] and [OffloadJUnitExtension].
 */
public object WorkerLeaks {
    private const val WORKER_MAIN = "dev.offload.internal.child.WorkerMain"

    /** Pids of the live worker processes started by this JVM (directly or through other processes). */
    @JvmStatic
    public fun liveWorkerPids(): Set<Long> = ProcessHandle.current().descendants()
        .filter { it.isAlive && !zombie(it.pid()) && it.info().commandLine().map { c -> c.contains(WORKER_MAIN) }.orElse(false) }
        .map { it.pid() }
        .toList()
        .toSet()

    /**
     * Waits up to [grace] for the workers not in [before] to exit; kills and returns those still alive. Workers of the
     * default context (`Offload.defaultContext()`, which calls that name no context use) are not leaks: that context
     * lives as long as the JVM, and its workers as long as their idle timeout.
     *
     * @return the pids that leaked (empty when none did).
     */
    @JvmStatic
    public fun killLeaked(before: Set<Long>, grace: Duration = Duration.ofSeconds(2)): Set<Long> =
        killLeaked(before, grace) { dev.offload.internal.ContextCore.defaultContextWorkerPids() }

    /**
     * [killLeaked] for a test that began when [contextsOpened] contexts had been opened: the workers of those still
     * open (a context the test class or spec shares between its tests) are not leaks either.
     */
    internal fun killLeaked(before: Set<Long>, contextsOpened: Long, grace: Duration = Duration.ofSeconds(2)) =
        killLeaked(before, grace) {
            dev.offload.internal.ContextCore.defaultContextWorkerPids() +
                dev.offload.internal.ContextCore.workerPidsOfContextsOpenedBy(contextsOpened)
        }

    private fun killLeaked(before: Set<Long>, grace: Duration, exempt: () -> Set<Long>): Set<Long> {
        val deadline = System.nanoTime() + grace.toNanos()
        var leaked = liveWorkerPids() - before - exempt()
        while (leaked.isNotEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MILLIS)
            leaked = liveWorkerPids() - before - exempt()
        }
        leaked.forEach { pid -> ProcessHandle.of(pid).ifPresent { it.destroyForcibly() } }
        return leaked
    }

    /** How many contexts this JVM has opened so far (see the [killLeaked] for a test). */
    internal fun contextsOpened(): Long = dev.offload.internal.ContextCore.contextsOpened()

    private const val POLL_MILLIS = 20L

    /** A zombie has exited (it only waits for its parent to reap it); ProcessHandle still calls it alive. */
    private fun zombie(pid: Long): Boolean = try {
        val stat = java.io.File("/proc/$pid/stat").readText()
        val close = stat.lastIndexOf(')')
        close > 0 && close + 2 < stat.length && stat[close + 2] == 'Z'
    } catch (e: java.io.IOException) {
        false
    }
}
