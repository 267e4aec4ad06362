package dev.offload.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** What the benchmarks ran on, read from the JDK and from /proc (absent values read as "unknown"). */
final class Machine {
    private Machine() {}

    static String cpu() {
        String model = procLine("/proc/cpuinfo", "model name").map(l -> l.substring(l.indexOf(':') + 1).trim())
                .orElse("unknown CPU");
        return Runtime.getRuntime().availableProcessors() + " × " + model;
    }

    static String memory() {
        return procLine("/proc/meminfo", "MemTotal:")
                .map(l -> String.format("%.1f GiB", Long.parseLong(l.replaceAll("\\D", "")) / 1024.0 / 1024.0))
                .orElse("unknown");
    }

    static String kernel() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " ("
                + System.getProperty("os.arch") + ")";
    }

    static String jdk() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vm.vendor") + ")";
    }

    /** How many entries this JVM's classpath has, and how many are directories (class-data archives need jars). */
    static String classpathShape() {
        String[] entries = System.getProperty("java.class.path", "").split(java.io.File.pathSeparator);
        long dirs = java.util.Arrays.stream(entries).filter(e -> new java.io.File(e).isDirectory()).count();
        return entries.length + " entries, " + dirs + (dirs == 1 ? " directory" : " directories");
    }

    /** The first three fields of /proc/loadavg: load over 1, 5 and 15 minutes. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Optional<String> procLine(String file, String prefix) {
        try (Stream<String> lines = Files.lines(Path.of(file))) {
            return lines.filter(l -> l.startsWith(prefix)).findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
