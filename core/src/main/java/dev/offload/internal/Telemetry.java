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
 *
 * <p>No event class is loaded until Flight Recorder runs in this JVM: on JDK 17 loading the first class that extends
 * {@code jdk.jfr.Event} sets up Flight Recorder's metadata, which made the first call of a fresh JVM about 200 ms
 * slower (see {@link #recording}). Events are therefore passed around as {@code Object} (null: none) and touched only
 * in {@link Events}.
 */
final class Telemetry {
    /**
     * The logger: {@code Log.LOG}. A holder class, because a JVM's first {@code System.getLogger} sets up
     * java.util.logging (about 40 ms on this machine, 2026-11-22); {@link #warmUp} does that off the first call's
     * path.
     */
    static final class Log {
        static final System.Logger LOG = System.getLogger("dev.offload");

        private Log() {}
    }

    final AtomicLong workersStarted = new AtomicLong();
    final AtomicLong workersKilled = new AtomicLong();
    final AtomicLong workersCrashed = new AtomicLong();
    final AtomicLong workersRetired = new AtomicLong();
    final AtomicLong callsCompleted = new AtomicLong();
    final AtomicLong callsFailed = new AtomicLong();
    final AtomicLong callsCancelled = new AtomicLong();

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Once per JVM, when the first context opens: a daemon thread sets up what the first call needs later but not
     * at once (the logger, this process's start time for the worker's command line), while the caller goes on to
     * start a worker. Whoever needs one first waits for the rest of its set-up only.
     */
    static void warmUp() {
        if (WARMED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                dev.offload.internal.process.ChildJvmLauncher.parentStart(); // needed first: by the first launch
                Log.LOG.isLoggable(Level.DEBUG);
            }, "offload-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Whether Flight Recorder has been started in this JVM (at launch, or later by {@code jcmd JFR.start}): a read of
     * a static field, which does not start it.
     */
    static boolean recording() {
        return jdk.jfr.FlightRecorder.isInitialized();
    }

    /** Opens the start-up event, or returns null; pass it to {@link #started}. */
    static Object starting() {
        return recording() ? Events.starting() : null;
    }

    /** A worker is ready (counted as started once its process existed: see ContextCore.onStarted). */
    void started(Object event, ProcessWorker w, long startNanos) {
        if (event != null) {
            Events.started(event, w.pid());
        }
        if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "worker pid " + w.pid() + " started in "
                    + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
        }
    }

    void killing(ProcessWorker w, String reason) {
        if (recording()) {
            Events.killed(w.pid(), reason);
        }
        if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "killing worker pid " + w.pid() + ": " + reason);
        }
    }

    /** Counts an exit; called before the context forgets the worker, so a closed context's counts are final. */
    /** Counts an exit; {@code midCall}: the worker was running a call, so even exit code 0 is no retirement. */
    void count(WorkerExit exit, boolean midCall) {
        (exit.killed ? workersKilled : exit.clean() && !midCall ? workersRetired : workersCrashed).incrementAndGet();
    }

    /** Records an exit (already counted): a Flight Recorder event, and a log record. */
    void exited(ProcessWorker w, WorkerExit exit, String during) {
        String cause = exit.killed ? "killed" : exit.clean() ? "clean" : exit.signal != null ? exit.signal
                : exit.brokenReason != null ? "broken: " + exit.brokenReason
                : exit.protocolError != null ? "protocol error" : "crashed";
        if (recording()) {
            Events.exited(w.pid(), exit.exitCode, cause, exit.killed, System.nanoTime() - w.startNanos());
        }
        if (!exit.killed && !exit.clean()) {
            Log.LOG.log(Level.WARNING, exit.describe(during));
        } else if (Log.LOG.isLoggable(Level.DEBUG)) {
            Log.LOG.log(Level.DEBUG, "worker pid " + w.pid() + " exited (" + cause + ", exit code " + exit.exitCode
                    + ")");
        }
    }

    /** Opens a call's event if a recording wants it (else null). */
    static Object callSubmitted() {
        return recording() ? Events.callSubmitted() : null;
    }

    void callDone(Call call, Throwable failure) {
        String outcome;
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        if (t == null) {
            outcome = "result";
        } else if (t instanceof CancellationException && !ExceptionRebuilder.isRemote(t)) { // not the function's
            outcome = "cancelled";
        } else {
            outcome = t instanceof TimeoutException ? "timeout" : t instanceof BrokenWorkerException ? "broken"
                    : "error";
        }
        counter(t).incrementAndGet();
        if (call.event != null) {
            Events.callDone(call, outcome);
        }
    }

    /** Moves one call from the count of {@code counted} to that of {@code actual} (see {@link #callDone}). */
    void recount(Throwable counted, Throwable actual) {
        counter(counted).decrementAndGet();
        counter(actual).incrementAndGet();
    }

    /** The counter of calls that ended with {@code t} (null: a result). */
    private AtomicLong counter(Throwable t) {
        if (t == null) {
            return callsCompleted;
        }
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t instanceof CancellationException && !ExceptionRebuilder.isRemote(t) ? callsCancelled : callsFailed;
    }

    /** The code that touches event classes: loaded only once Flight Recorder runs. */
    private static final class Events {
        static WorkerStartedEvent starting() {
            WorkerStartedEvent e = new WorkerStartedEvent();
            e.begin();
            return e;
        }

        static void started(Object event, long pid) {
            WorkerStartedEvent e = (WorkerStartedEvent) event;
            e.end();
            if (e.shouldCommit()) {
                e.pid = pid;
                e.commit();
            }
        }

        static void killed(long pid, String reason) {
            WorkerKilledEvent e = new WorkerKilledEvent();
            if (e.shouldCommit()) {
                e.pid = pid;
                e.reason = reason;
                e.commit();
            }
        }

        static void exited(long pid, int exitCode, String cause, boolean killed, long uptime) {
            WorkerExitedEvent e = new WorkerExitedEvent();
            if (e.shouldCommit()) {
                e.pid = pid;
                e.exitCode = exitCode;
                e.cause = cause;
                e.killed = killed;
                e.uptime = uptime;
                e.commit();
            }
        }

        static CallEvent callSubmitted() {
            CallEvent e = new CallEvent();
            if (!e.isEnabled()) {
                return null;
            }
            e.begin();
            return e;
        }

        static void callDone(Call call, String outcome) {
            CallEvent e = (CallEvent) call.event;
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
