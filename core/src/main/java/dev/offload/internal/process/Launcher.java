package dev.offload.internal.process;

import java.io.IOException;

/**
 * Starts one worker process whose stdin, stdout and stderr are pipes to us: the local child JVM now; later a
 * command prefix ({@code ssh host ...}) carrying the same protocol.
 */
public interface Launcher {
    /** Starts the process; {@link Launched#cleanup} runs once it has completed its handshake or failed. */
    Launched launch() throws IOException;

    /** A started process and what to release once it no longer needs its launch files. */
    final class Launched {
        public final Process process;
        public final Runnable cleanup;
        /** Runs once the process has exited and been reaped, before anyone is told. */
        public final java.util.function.Consumer<WorkerExit> exited;

        /**
         * Lines of the process's stderr that only its tail keeps (for failure reports), never shown to the user; or
         * null to show every line as it comes.
         */
        public final java.util.function.Predicate<String> unshown;

        public Launched(Process process, Runnable cleanup, java.util.function.Consumer<WorkerExit> exited) {
            this(process, cleanup, exited, null);
        }

        public Launched(Process process, Runnable cleanup, java.util.function.Consumer<WorkerExit> exited,
                java.util.function.Predicate<String> unshown) {
            this.process = process;
            this.cleanup = cleanup;
            this.exited = exited;
            this.unshown = unshown;
        }
    }
}
