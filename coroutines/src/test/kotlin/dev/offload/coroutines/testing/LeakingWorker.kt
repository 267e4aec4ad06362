package dev.offload.coroutines.testing

import java.nio.file.Path

/** Starts a real worker process and deliberately loses track of it: the leak the helpers must catch. */
internal object LeakingWorker {
    fun start(): Process {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        return ProcessBuilder(
            java, "-cp", System.getProperty("java.class.path"), "dev.offload.internal.child.WorkerMain",
            ProcessHandle.current().pid().toString(), "0", "1048576",
        ).redirectErrorStream(true).start()
    }
}
