package dev.offload.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A worker JVM started: the event's duration is its start-up, from launch to ready for calls. */
@Name("dev.offload.WorkerStarted")
@Label("Worker Started")
@Category("Offload")
@Description("A worker JVM was launched and is ready for calls; the duration is its start-up time")
@StackTrace(false)
public final class WorkerStartedEvent extends jdk.jfr.Event {
    @Label("Worker PID")
    public long pid;
}
