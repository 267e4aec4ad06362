package dev.offload.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StderrPumpTest {
    /** What JDK 25 printed on a trainer's stderr as it wrote its AOT cache (2026-11-22), with a line of ours between. */
    private static final List<String> EXIT_OF_A_TRAINER = List.of(
            "Temporary AOTConfiguration recorded: /c/worker-1.aot.14679-1.tmp.config",
            "Launching child process /jdk/bin/java to assemble AOT cache /c/worker-1.aot.14679-1.tmp using "
                    + "configuration /c/worker-1.aot.14679-1.tmp.config",
            "Picked up JAVA_TOOL_OPTIONS: -Djava.class.path=l.jar -XX:AOTCacheOutput=/c/worker-1.aot.14679-1.tmp",
            "a line the user should see",
            "Reading AOTConfiguration /c/worker-1.aot.14679-1.tmp.config and writing AOTCache /c/worker-1.aot.tmp",
            "AOTCache creation is complete: /c/worker-1.aot.14679-1.tmp 11997184 bytes",
            "Removed temporary AOT configuration file /c/worker-1.aot.14679-1.tmp.config");

    /** Runs a pump over {@code chunks} (as separate reads) and returns what reached System.err. */
    private static String pumped(OutputTail tail, java.util.function.Predicate<String> unshown, String... chunks) {
        List<InputStream> parts = java.util.Arrays.stream(chunks)
                .map(c -> new java.io.ByteArrayInputStream(c.getBytes(StandardCharsets.UTF_8)))
                .collect(Collectors.toList());
        PrintStream err = System.err;
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(shown, true));
            new StderrPump(new SequenceInputStream(Collections.enumeration(parts)), tail, unshown).run();
        } finally {
            System.setErr(err);
        }
        return shown.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTrainersAotCacheMessagesReachOnlyTheTailAndEverythingElseIsShown() {
        String all = String.join("\n", EXIT_OF_A_TRAINER) + "\nno newline at the end";
        int cut = all.indexOf("user"); // a line split across two reads
        OutputTail tail = new OutputTail();
        String shown = pumped(tail, ClassDataArchive::isAotCacheMessage, all.substring(0, cut), all.substring(cut));
        assertEquals("a line the user should see\nno newline at the end", shown);
        assertTrue(tail.lastLines().contains("AOTCache creation is complete"), tail.lastLines());
    }

    @Test
    void withoutAFilterEveryByteIsShown() {
        String all = String.join("\n", EXIT_OF_A_TRAINER) + "\n";
        assertEquals(all, pumped(new OutputTail(), null, all));
    }
}
