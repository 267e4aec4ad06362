package dev.offload.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A worker JVM exited (cleanly, crashed, or killed) and was reaped. */
@Name("dev.offload.WorkerExited")
@Label("Worker Exited")
@Category("Offload")
@Description("A worker JVM exited and was reaped")
@StackTrace(false)
public final class WorkerExitedEvent extends jdk.jfr.Event {
    @Label("Worker PID")
    public long pid;

    @Label("Exit Code")
    public int exitCode;

    @Label("Cause")
    @Description("clean, killed, crashed, or the signal or reason that ended it")
    public String cause;

    @Label("Killed")
    @Description("Offload killed it (a cancelled or timed-out call, or a forced shutdown)")
    public boolean killed;

    @Label("Uptime")
    @Timespan
    public long uptime;
}
