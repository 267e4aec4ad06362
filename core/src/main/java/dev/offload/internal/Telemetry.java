package dev.offload.internal;

import dev.offload.BrokenWorkerException;
import dev.offload.internal.events.CallEvent;
import dev.offload.internal.events.WorkerExitedEvent;
import dev.offload.internal.events.WorkerKilledEvent;
import dev.offload.internal.events.WorkerStartedEvent;
import dev.offload.internal.process.ProcessWorker;
import dev.offload.internal.process.WorkerExit;
import java.lang.System.Logger.Level;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a context tells the outside: counters for {@code WorkerStatistics}, Flight Recorder events (cheap when no
 * recording wants them) and {@code System.Logger} records under "dev.offload" (lifecycle at DEBUG, unexpected
 * deaths and unclean shutdowns at WARNING).
 */
final class Telemetry {
    static final System.Logger LOG = System.getLogger("dev.offload");

    final AtomicLong workersStarted = new AtomicLong();
    final AtomicLong workersKilled = new AtomicLong();
    final AtomicLong workersCrashed = new AtomicLong();
    final AtomicLong workersRetired = new AtomicLong();
    final AtomicLong callsCompleted = new AtomicLong();
    final AtomicLong callsFailed = new AtomicLong();
    final AtomicLong callsCancelled = new AtomicLong();

    /** Opens the start-up event; pass it to {@link #started}. */
    static WorkerStartedEvent starting() {
        WorkerStartedEvent e = new WorkerStartedEvent();
        e.begin();
        return e;
    }

    void started(WorkerStartedEvent e, ProcessWorker w, long startNanos) {
        workersStarted.incrementAndGet();
        if (e.shouldCommit()) {
            e.pid = w.pid();
            e.commit();
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "worker pid " + w.pid() + " started in "
                    + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
        }
    }

    void killing(ProcessWorker w, String reason) {
        WorkerKilledEvent e = new WorkerKilledEvent();
        if (e.shouldCommit()) {
            e.pid = w.pid();
            e.reason = reason;
            e.commit();
        }
        if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "killing worker pid " + w.pid() + ": " + reason);
        }
    }

    /** Counts an exit; called before the context forgets the worker, so a closed context's counts are final. */
    void count(WorkerExit exit) {
        (exit.killed ? workersKilled : exit.clean() ? workersRetired : workersCrashed).incrementAndGet();
    }

    /** Records an exit (already counted): a Flight Recorder event, and a log record. */
    void exited(ProcessWorker w, WorkerExit exit, String during) {
        String cause = exit.killed ? "killed" : exit.clean() ? "clean" : exit.signal != null ? exit.signal
                : exit.brokenReason != null ? "broken: " + exit.brokenReason
                : exit.protocolError != null ? "protocol error" : "crashed";
        WorkerExitedEvent e = new WorkerExitedEvent();
        if (e.shouldCommit()) {
            e.pid = w.pid();
            e.exitCode = exit.exitCode;
            e.cause = cause;
            e.killed = exit.killed;
            e.uptime = System.nanoTime() - w.startNanos();
            e.commit();
        }
        if (!exit.killed && !exit.clean()) {
            LOG.log(Level.WARNING, exit.describe(during));
        } else if (LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "worker pid " + w.pid() + " exited (" + cause + ", exit code " + exit.exitCode + ")");
        }
    }

    /** Opens a call's event if a recording wants it (else null). */
    static CallEvent callSubmitted() {
        CallEvent e = new CallEvent();
        if (!e.isEnabled()) {
            return null;
        }
        e.begin();
        return e;
    }

    void callDone(Call call, Throwable failure) {
        String outcome;
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        if (t == null) {
            outcome = "result";
            callsCompleted.incrementAndGet();
        } else if (t instanceof CancellationException) {
            outcome = "cancelled";
            callsCancelled.incrementAndGet();
        } else {
            outcome = t instanceof TimeoutException ? "timeout" : t instanceof BrokenWorkerException ? "broken"
                    : "error";
            callsFailed.incrementAndGet();
        }
        CallEvent e = call.event;
        if (e != null) {
            e.end();
            if (e.shouldCommit()) {
                e.function = call.fn.toString();
                e.pid = call.pid;
                e.queued = call.sentNanos == 0 ? 0 : call.sentNanos - call.submitNanos;
                e.requestBytes = call.request.payloadLength();
                e.replyBytes = call.replyBytes;
                e.outcome = outcome;
                e.commit();
            }
        }
    }

    long[] counters() {
        return new long[] {workersStarted.get(), workersKilled.get(), workersCrashed.get(), workersRetired.get(),
            callsCompleted.get(), callsFailed.get(), callsCancelled.get()};
    }
}
