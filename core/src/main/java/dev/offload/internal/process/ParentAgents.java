package dev.offload.internal.process;

import dev.offload.AgentInheritance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code -javaagent:} options of this JVM that a worker should start with.
 *
 * <p>This JVM's options come from its command line ({@link ProcessHandle.Info#arguments()}, with @argfiles that
 * still exist expanded): cheap, and complete when present. The JDK gives no arguments for a command line longer
 * than a page (a long class path) nor on some platforms; then {@code RuntimeMXBean.getInputArguments()} is asked,
 * when the {@code java.management} module is present (always on the class path; on the module path when something
 * requires it). It is not asked first because loading it costs some 100 ms, which would delay every first worker.
 * Options from {@code JAVA_TOOL_OPTIONS} and {@code JDK_JAVA_OPTIONS} need neither: workers inherit the environment.
 */
final class ParentAgents {
    private static final String JAVAAGENT = "-javaagent:";

    private ParentAgents() {}

    /** This JVM's options, read once. */
    private static final class Holder {
        static final List<String> OPTIONS = readOptions();
    }

    /**
     * The agent options to pass on, JaCoCo's rewritten to append, leaving out any that {@code inheritedEnvironment}
     * (the worker's {@code JAVA_TOOL_OPTIONS} and {@code JDK_JAVA_OPTIONS}) already gives the worker.
     */
    static List<String> forWorker(AgentInheritance which, String inheritedEnvironment) {
        if (which == AgentInheritance.NONE) {
            return List.of();
        }
        return select(Holder.OPTIONS, which, inheritedEnvironment);
    }

    static List<String> select(List<String> jvmOptions, AgentInheritance which, String inheritedEnvironment) {
        List<String> agents = new ArrayList<>();
        for (String option : jvmOptions) {
            if (!option.startsWith(JAVAAGENT) || which == AgentInheritance.NONE
                    || (inheritedEnvironment != null && inheritedEnvironment.contains(option))) {
                continue;
            }
            if (isJacoco(option)) {
                String appending = jacocoAppending(option);
                if (appending != null) {
                    agents.add(appending);
                }
            } else if (which == AgentInheritance.ALL) {
                agents.add(option);
            }
        }
        return agents;
    }

    /** Whether the agent's jar is JaCoCo's ({@code jacocoagent.jar}, {@code org.jacoco.agent-*-runtime.jar}). */
    static boolean isJacoco(String option) {
        String jar = jarOf(option);
        String name = jar.substring(Math.max(jar.lastIndexOf('/'), jar.lastIndexOf('\\')) + 1);
        return name.toLowerCase(Locale.ROOT).contains("jacoco");
    }

    /**
     * The JaCoCo agent option with {@code append=true} (so workers add to the execution data instead of
     * replacing it) and a session id (so the agent does not look up the host name), or {@code null} when it must
     * not be inherited ({@code output=tcpserver}: one port).
     */
    static String jacocoAppending(String option) {
        String jar = jarOf(option);
        String rest = option.substring(JAVAAGENT.length() + jar.length());
        List<String> settings = new ArrayList<>();
        boolean append = false;
        boolean sessionId = false;
        if (rest.startsWith("=")) {
            for (String s : rest.substring(1).split(",")) {
                if (s.isEmpty()) {
                    continue;
                }
                String key = s.substring(0, Math.max(s.indexOf('='), 0)).trim();
                if (key.equals("output") && s.endsWith("=tcpserver")) {
                    return null;
                }
                if (key.equals("append")) {
                    s = "append=true";
                    append = true;
                }
                sessionId |= key.equals("sessionid");
                settings.add(s);
            }
        }
        if (!append) {
            settings.add("append=true");
        }
        if (!sessionId) {
            // Without one the agent names its session after the host name, and looking that up opens a socket.
            settings.add("sessionid=offload-worker-" + ProcessHandle.current().pid());
        }
        return JAVAAGENT + jar + "=" + String.join(",", settings);
    }

    /** The jar path of a {@code -javaagent:} option: up to the {@code .jar} before the options, or all of it. */
    private static String jarOf(String option) {
        String value = option.substring(JAVAAGENT.length());
        int jarEnd = value.toLowerCase(Locale.ROOT).indexOf(".jar=");
        if (jarEnd >= 0) {
            return value.substring(0, jarEnd + ".jar".length());
        }
        int eq = value.indexOf('=');
        return eq < 0 ? value : value.substring(0, eq);
    }

    private static List<String> readOptions() {
        String[] commandLine = ProcessHandle.current().info().arguments().orElse(new String[0]);
        if (commandLine.length == 0 && ModuleLayer.boot().findModule("java.management").isPresent()) {
            try {
                return Management.inputArguments();
            } catch (LinkageError | RuntimeException e) {
                return List.of();
            }
        }
        List<String> options = new ArrayList<>();
        for (String a : commandLine) {
            if (a.startsWith("@") && Files.isRegularFile(Path.of(a.substring(1)))) {
                options.addAll(argfileWords(Path.of(a.substring(1))));
            } else {
                options.add(a);
            }
        }
        return options;
    }

    /** The whitespace-separated words of an @argfile, quotes removed (enough to find agent options). */
    private static List<String> argfileWords(Path file) {
        try {
            List<String> words = new ArrayList<>();
            for (String w : Files.readString(file).trim().split("\\s+")) {
                words.add(w.replace("\"", "").replace("'", ""));
            }
            return words;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** Touches java.management only when that module is present ({@code requires static}). */
    private static final class Management {
        static List<String> inputArguments() {
            return List.copyOf(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        }
    }
}
