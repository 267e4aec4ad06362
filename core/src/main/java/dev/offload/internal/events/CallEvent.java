package dev.offload.internal.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** One call, from submission to completion (its start is when it was submitted). */
@Name("dev.offload.Call")
@Label("Call")
@Category("Offload")
@Description("A function call run in a worker, from submission to completion")
@StackTrace(false)
public final class CallEvent extends jdk.jfr.Event {
    @Label("Function")
    public String function;

    @Label("Worker PID")
    @Description("The worker that ran it; 0 if it never reached one")
    public long pid;

    @Label("Queued")
    @Description("Time from submission until the request was sent to a worker (permit wait and worker start)")
    @Timespan
    public long queued;

    @Label("Request Size")
    @DataAmount
    public long requestBytes;

    @Label("Reply Size")
    @DataAmount
    public long replyBytes;

    @Label("Outcome")
    @Description("result, error, broken, cancelled or timeout")
    public String outcome;
}
