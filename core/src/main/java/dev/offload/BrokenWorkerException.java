package dev.offload;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A worker failed as a process, not the function in it: it died during the call ({@code System.exit},
 * {@code Runtime.halt}, out of memory, a native crash, SIGKILL from outside), broke the protocol, could not
 * start, or did not shut down in time. Only the call that was running on it fails; the context starts a new
 * worker for the next call.
 *
 * <p>Carries the worker's pid, exit code, the signal that ended it if any, and the last lines of its stderr.
 * An unclean {@link WorkerContext#close()} throws one of these that aggregates one suppressed exception per
 * failed worker, e.g. "graceful shutdown failed: 1 nonzero exit code and 1 forced kill".
 *
 * <p>Thrown, not built: there is no public constructor.
 */
public final class BrokenWorkerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The worker's process id, or -1; see {@link #pid()}. */
    private final long pid;
    /** The worker's exit status, or {@code null} if none is known. */
    private final Integer exitCode;
    /** The name of the signal that ended the worker, or {@code null}. */
    private final String signal;
    /** The last lines of the worker's stderr, never {@code null}. */
    private final String stderrTail;

    BrokenWorkerException(String message, long pid, Integer exitCode, String signal, String stderrTail,
            Throwable cause) {
        super(message, cause);
        this.pid = pid;
        this.exitCode = exitCode;
        this.signal = signal;
        this.stderrTail = stderrTail == null ? "" : stderrTail;
    }

    /**
     * The worker's process id, or -1 when this aggregates several workers or none had started.
     *
     * @return the pid, or -1
     */
    public long pid() {
        return pid;
    }

    /**
     * The worker's exit status, if it exited (128 + n when a signal n ended it).
     *
     * @return the exit status, or empty if none is known
     */
    public OptionalInt exitCode() {
        return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
    }

    /**
     * The signal that ended the worker, e.g. {@code "SIGKILL"}, if one did.
     *
     * @return the name of the signal, or empty
     */
    public Optional<String> signal() {
        return Optional.ofNullable(signal);
    }

    /**
     * The last lines the worker wrote to stderr (and {@code System.err}), possibly empty.
     *
     * @return the tail of the worker's stderr, never {@code null}
     */
    public String stderrTail() {
        return stderrTail;
    }
}
