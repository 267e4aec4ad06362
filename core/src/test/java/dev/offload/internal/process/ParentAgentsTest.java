package dev.offload.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.AgentInheritance;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which of the parent's agent options a worker gets, and how JaCoCo's is made to append. */
class ParentAgentsTest {
    private static final String JACOCO =
            "-javaagent:/repo/org.jacoco.agent-0.8.15-runtime.jar=destfile=/p/target/jacoco.exec,includes=dev.*";
    private static final String PROFILER = "-javaagent:/opt/profiler/agent.jar=port=9999";
    private static final String APPEND = ",append=true,sessionid=offload-worker-" + ProcessHandle.current().pid();
    private static final List<String> PARENT = List.of("-Xmx1g", PROFILER, JACOCO, "-agentlib:jdwp=transport=x");

    @Test
    void jacocoIsInheritedByDefaultWithAppend() {
        assertEquals(List.of(JACOCO + APPEND), ParentAgents.select(PARENT, AgentInheritance.JACOCO, ""));
    }

    @Test
    void allInheritsEveryJavaAgentButNoNativeAgent() {
        assertEquals(List.of(PROFILER, JACOCO + APPEND), ParentAgents.select(PARENT, AgentInheritance.ALL, ""));
    }

    @Test
    void noneInheritsNothing() {
        assertEquals(List.of(), ParentAgents.select(PARENT, AgentInheritance.NONE, ""));
    }

    @Test
    void anAgentTheWorkerGetsFromItsEnvironmentIsNotPassedTwice() {
        assertEquals(List.of(), ParentAgents.select(PARENT, AgentInheritance.JACOCO, "-Dx=1 " + JACOCO));
    }

    @Test
    void appendFalseBecomesAppendTrue() {
        assertEquals("-javaagent:/a/jacocoagent.jar=append=true,sessionid=s,destfile=x.exec",
                ParentAgents.jacocoAppending("-javaagent:/a/jacocoagent.jar=append=false,sessionid=s,destfile=x.exec"));
        assertEquals("-javaagent:/a/jacocoagent.jar=" + APPEND.substring(1),
                ParentAgents.jacocoAppending("-javaagent:/a/jacocoagent.jar"));
    }

    @Test
    void aTcpServerAgentIsNotInherited() {
        assertNull(ParentAgents.jacocoAppending("-javaagent:/a/jacocoagent.jar=output=tcpserver,port=6300"));
    }

    @Test
    void jacocoIsRecognisedByItsJarName() {
        assertTrue(ParentAgents.isJacoco("-javaagent:/x/jacocoagent.jar"));
        assertTrue(ParentAgents.isJacoco(JACOCO));
        assertFalse(ParentAgents.isJacoco(PROFILER));
        assertFalse(ParentAgents.isJacoco("-javaagent:/jacoco-tools/profiler.jar=x=jacoco"));
    }
}
