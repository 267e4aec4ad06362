package dev.offload;

/**
 * Which of this JVM's Java agents ({@code -javaagent:} options) its workers start with.
 *
 * <p>The default, {@link #JACOCO}, makes coverage work through workers: when tests run under the JaCoCo agent
 * (jacoco-maven-plugin's {@code prepare-agent}, an IDE's coverage runner), every worker loads the same agent
 * with {@code append=true}, so each worker adds its coverage to the same execution data file when it exits (the
 * agent locks the file while it writes). Code that ran only inside workers then shows as covered. Unless the
 * parent's agent names a {@code sessionid}, workers get the session id {@code offload-worker-} followed by this
 * JVM's pid, which also spares each worker a host name look-up.
 *
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.builder()
 *     .inheritAgents(AgentInheritance.ALL)   // e.g. also a profiler's agent
 *     .build();
 * }</pre>
 *
 * <p>The system property {@value #PROPERTY} ({@code NONE}, {@code JACOCO} or {@code ALL}) changes the default
 * for every configuration built after it is set, without touching code: each worker under an agent starts a few
 * hundred milliseconds later, which a test suite that starts many workers may not want on every run.
 *
 * <p>Pitfalls: a worker writes its coverage only when it exits normally (idle timeout, retirement, the
 * context's close); a worker that is killed (cancellation, a task timeout, a forced shutdown) or that halts
 * because its parent died loses the coverage of its calls. A JaCoCo agent in {@code output=tcpserver} mode is
 * not inherited (each worker would try to listen on the same port). Agents that come from the
 * {@code JAVA_TOOL_OPTIONS} or {@code JDK_JAVA_OPTIONS} environment variables reach workers through their
 * environment whatever this setting says. Native agents ({@code -agentlib:}, {@code -agentpath:}, such as a
 * debugger's) are never inherited; add them with {@link WorkerConfig.Builder#jvmOptions(String...)}.
 */
public enum AgentInheritance {
    /** Workers start with no agent of this JVM. */
    NONE,
    /** Workers start with this JVM's JaCoCo agent, if it has one, with {@code append=true}. The default. */
    JACOCO,
    /** Workers start with every Java agent of this JVM (JaCoCo's with {@code append=true}). */
    ALL;

    /** The system property that sets the default: {@code NONE}, {@code JACOCO} or {@code ALL}, in any case. */
    public static final String PROPERTY = "dev.offload.inheritAgents";

    /** The default: {@value #PROPERTY} if set and not blank, else {@link #JACOCO}. */
    static AgentInheritance fromSystemProperty() {
        String value = System.getProperty(PROPERTY, "").trim();
        if (value.isEmpty()) {
            return JACOCO;
        }
        for (AgentInheritance a : values()) {
            if (a.name().equalsIgnoreCase(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException(PROPERTY + " must be NONE, JACOCO or ALL, was " + value);
    }
}
