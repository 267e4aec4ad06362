package dev.offload.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** Offload sent SIGKILL to a worker. */
@Name("dev.offload.WorkerKilled")
@Label("Worker Killed")
@Category("Offload")
@Description("Offload killed a worker JVM")
@StackTrace(false)
public final class WorkerKilledEvent extends jdk.jfr.Event {
    @Label("Worker PID")
    public long pid;

    @Label("Reason")
    public String reason;
}
