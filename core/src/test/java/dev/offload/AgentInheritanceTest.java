package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The default agent inheritance, and the system property that changes it. */
class AgentInheritanceTest {
    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(AgentInheritance.PROPERTY);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(AgentInheritance.PROPERTY);
        } else {
            System.setProperty(AgentInheritance.PROPERTY, saved);
        }
    }

    @Test
    void jacocoIsTheDefaultWithoutTheProperty() {
        System.clearProperty(AgentInheritance.PROPERTY);
        assertEquals(AgentInheritance.JACOCO, WorkerConfig.builder().build().inheritAgents());
        System.setProperty(AgentInheritance.PROPERTY, " ");
        assertEquals(AgentInheritance.JACOCO, WorkerConfig.builder().build().inheritAgents());
    }

    @Test
    void thePropertySetsTheDefaultAndTheBuilderOverridesIt() {
        System.setProperty(AgentInheritance.PROPERTY, "none");
        assertEquals(AgentInheritance.NONE, WorkerConfig.builder().build().inheritAgents());
        assertEquals(AgentInheritance.ALL,
                WorkerConfig.builder().inheritAgents(AgentInheritance.ALL).build().inheritAgents());
        assertEquals(AgentInheritance.ALL, WorkerConfig.builder().inheritAgents(AgentInheritance.ALL).build()
                .toBuilder().build().inheritAgents());
    }

    @Test
    void aBadPropertyValueIsNamed() {
        System.setProperty(AgentInheritance.PROPERTY, "jacocoo");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, WorkerConfig::builder);
        assertEquals("dev.offload.inheritAgents must be NONE, JACOCO or ALL, was jacocoo", e.getMessage());
    }
}
