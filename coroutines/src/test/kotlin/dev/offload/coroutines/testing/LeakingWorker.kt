package dev.offload.coroutines.testing

import java.nio.file.Files
import java.nio.file.Path

/** Starts a real worker process and deliberately loses track of it: the leak the helpers must catch. */
internal object LeakingWorker {
    fun start(): Process {
        val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
        // Like Offload itself, keep the classpath in an @argfile: a long command line is not readable
        // through ProcessHandle.Info, and leak detection looks for the worker main class in it.
        val argfile = Files.createTempFile("offload-leak-", ".args")
        Files.writeString(argfile, "-cp\n\"" + System.getProperty("java.class.path") + "\"\n")
        argfile.toFile().deleteOnExit()
        return ProcessBuilder(
            java, "@$argfile", "dev.offload.internal.child.WorkerMain",
            ProcessHandle.current().pid().toString(), "0", "1048576",
        ).redirectErrorStream(true).start()
    }
}
