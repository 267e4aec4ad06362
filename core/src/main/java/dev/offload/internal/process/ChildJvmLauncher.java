package dev.offload.internal.process;

import dev.offload.WorkerConfig;
import dev.offload.internal.codec.JavaCodec;
import dev.offload.internal.child.WorkerMain;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts a worker JVM: the configured {@code java} (the parent's {@code java.home} by default), the parent's
 * module path and classpath in order plus what its class loaders load and the extra entries (all on the worker's
 * class path, see {@link #classpath}), Offload's JVM options then the user's, all in an owner-only @argfile
 * (never a long command line) that is deleted once the worker has started. The main class and its arguments
 * stay on the visible command line, so {@code ps} shows what the process is.
 */
public final class ChildJvmLauncher implements Launcher {
    /** JVM options every worker gets first: HotSpot's own messages go to stderr, never to the frame channel. */
    public static final List<String> BASE_OPTIONS = List.of(
            "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:+DisplayVMOutputToStderr", "-XX:-UsePerfData");

    /**
     * The collector of workers unless the options choose one: a worker runs one call at a time, so the serial
     * collector spends no threads on concurrent work and keeps an idle worker smallest (an idle worker here: about
     * 41 MiB resident against 43 with G1, one A/B of single runs on 2026-11-22).
     *
     * <p>It costs start-up on JDK 17: there the serial collector cannot map the heap objects of the JDK's CDS archive
     * ("full module graph: disabled" in {@code -Xlog:cds}; JDK 25 maps them). A harness run with G1 as the default
     * (2026-11-22 11:56, against a Serial run at 11:28) gave a Java cold start of 59 against 85 ms
     * (1.21 against 1.49 times a bare JVM's start), but an idle worker after the warm-call runs kept 59.9 MiB
     * resident against 43.1: G1 grows the heap under a stream of tiny calls. Memory per warm worker matters more for
     * a pool, so Serial stays.
     */
    public static final String DEFAULT_COLLECTOR = "-XX:+UseSerialGC";

    private static final ProcessHandle SELF = ProcessHandle.current();

    /**
     * The initial heap of workers unless the options size the heap: the JVM's default (1/64 of the machine's memory)
     * gives a young generation so large that a worker's garbage from thousands of tiny calls touches 80 MiB or more
     * of it before the first collection, and an idle worker keeps that resident. With 16 MiB the heap grows only as
     * live data needs. Measured on 2026-11-22: an idle worker after 50,000 calls kept 52-56 MiB instead of
     * 115-122 (two runs each), and the harness's idle-after-warm-calls row went from 149 MiB to about 51.
     */
    public static final String DEFAULT_INITIAL_HEAP = "-Xms16m";

    /**
     * Native-heap trimming for workers, where the worker's JVM has it (JDK 17.0.9+, 21.0.1+, 22+, Linux) and the
     * options do not set it: once a second the JVM returns the C heap it freed (mostly the JIT compilers' arenas) to
     * the system. Measured on 2026-11-22 (an ad-hoc probe of 50,000 calls, then 2.5 s idle): 57.4 MiB resident
     * without, 49.8 MiB with.
     */
    public static final List<String> DEFAULT_NATIVE_TRIM = List.of(
            "-XX:+UnlockExperimentalVMOptions", "-XX:TrimNativeHeapInterval=1000");

    /** Whether a worker started with {@code executable} trims its native heap when told to (see {@link #DEFAULT_NATIVE_TRIM}). */
    static boolean canTrimNativeHeap(java.nio.file.Path executable) {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return false;
        }
        java.nio.file.Path own = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java");
        if (!executable.toAbsolutePath().normalize().equals(own.toAbsolutePath().normalize())) {
            return false; // another JDK: its version is unknown here, and an unknown option stops it from starting
        }
        Runtime.Version v = Runtime.version();
        return v.feature() >= 22 || (v.feature() == 21 && v.update() >= 1) || (v.feature() == 17 && v.update() >= 9);
    }

    private static boolean sizesHeap(String option) {
        return option.startsWith("-Xms") || option.startsWith("-Xmx") || option.contains("HeapSize")
                || option.contains("MaxRAM") || option.contains("RAMPercentage");
    }

    private static boolean selectsCollector(String option) {
        return option.matches("-XX:[+-]Use\\w*GC");
    }
    /**
     * This process's start time (epoch ms, 0 if unknown), which workers check their parent against. In a holder: the
     * JVM's first {@code ProcessHandle.info()} costs about 20 ms on this machine (2026-11-22), and the first context
     * has it read in the background (see {@code Telemetry.warmUp}).
     */
    public static long parentStart() {
        return SelfStart.MILLIS;
    }

    private static final class SelfStart {
        static final long MILLIS = SELF.info().startInstant().map(i -> i.toEpochMilli()).orElse(0L);
    }

    private static final java.util.concurrent.atomic.AtomicInteger RECORDINGS =
            new java.util.concurrent.atomic.AtomicInteger();

    private static final java.util.concurrent.atomic.AtomicLong LAUNCHES = new java.util.concurrent.atomic.AtomicLong();

    private final WorkerConfig config;
    private final List<String> argfileLines;
    /** The class-data-sharing archive of these workers, or null. */
    private final ClassDataArchive archive;

    /** Whether this JVM has a Flight Recorder recording running (without starting Flight Recorder to find out). */
    private static boolean parentRecords() {
        return jdk.jfr.FlightRecorder.isInitialized() && jdk.jfr.FlightRecorder.getFlightRecorder().getRecordings()
                .stream().anyMatch(r -> r.getState() == jdk.jfr.RecordingState.RUNNING);
    }

    public ChildJvmLauncher(WorkerConfig config) {
        this.config = config;
        List<String> args = new ArrayList<>(BASE_OPTIONS);
        args.addAll(ParentAgents.forWorker(config.inheritAgents(), inheritedJavaOptions(config)));
        if (!config.allowSerializable().isEmpty()) {
            args.add("-D" + JavaCodec.ALLOW_PROPERTY + "=" + config.allowSerializable());
        }
        for (Map.Entry<String, String> p : config.systemProperties().entrySet()) {
            args.add("-D" + p.getKey() + "=" + p.getValue());
        }
        if (!config.spinWait().isZero()) {
            args.add("-Doffload.spinNanos=" + config.spinWait().toNanos());
        }
        if (config.jvmOptions().stream().noneMatch(ChildJvmLauncher::selectsCollector)) {
            args.add(DEFAULT_COLLECTOR);
        }
        if (config.jvmOptions().stream().noneMatch(ChildJvmLauncher::sizesHeap)) {
            args.add(DEFAULT_INITIAL_HEAP);
        }
        if (config.jvmOptions().stream().noneMatch(o -> o.contains("TrimNativeHeap"))
                && canTrimNativeHeap(config.javaExecutable())) {
            args.addAll(DEFAULT_NATIVE_TRIM);
        }
        for (String o : config.jvmOptions()) {
            args.add(offStdout(o));
        }
        String classpath = classpath(config);
        this.archive = ClassDataArchive.of(config.classDataSharing(), config.javaExecutable(), args, classpath);
        args.add("-classpath");
        args.add(classpath);
        this.argfileLines = args;
    }

    /**
     * What the worker's {@code java} reads from its environment besides its command line ({@code JAVA_TOOL_OPTIONS}
     * and {@code JDK_JAVA_OPTIONS}, after the configured changes): agents there need not be passed again.
     */
    private static String inheritedJavaOptions(WorkerConfig config) {
        StringBuilder s = new StringBuilder();
        for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")) {
            String value = config.environment().containsKey(name)
                    ? config.environment().get(name) : System.getenv(name);
            if (value != null) {
                s.append(value).append('\n');
            }
        }
        return s.toString();
    }

    /**
     * The option, rewritten so that what it logs goes to stderr: stdout is the frame channel. Unified logging
     * ({@code -Xlog}) writes to stdout unless told otherwise, and {@code -verbose:gc} is {@code -Xlog:gc}.
     */
    static String offStdout(String option) {
        if (option.equals("-verbose:gc")) {
            return "-Xlog:gc:stderr";
        }
        if (option.equals("-Xlog")) {
            return "-Xlog:all:stderr";
        }
        if (option.startsWith("-Xlog:") && !option.startsWith("-Xlog:disable") && !option.startsWith("-Xlog:help")) {
            String[] parts = option.substring("-Xlog:".length()).split(":", -1);
            if (parts.length == 1) {
                return option + ":stderr";
            }
            if (parts[1].isEmpty() || parts[1].equals("stdout")) {
                parts[1] = "stderr";
                return "-Xlog:" + String.join(":", parts);
            }
        }
        return option;
    }

    /**
     * The worker's classpath: the parent's module path ({@code jdk.module.path}, its directories of modules
     * expanded), then its {@code java.class.path}, in order; then what class loaders of this JVM load from local jars
     * and directories that neither names (see {@link #loaderEntries}); then the extra entries. A worker runs everything
     * on the class path, so it finds its own main class and the user's classes however the parent was started: with
     * {@code java -cp}, {@code java -p}, or inside a tool that loads the application through a class loader of its
     * own ({@code mvn exec:java}, an application server).
     */
    static String classpath(WorkerConfig config) {
        List<ClassLoader> loaders = java.util.Arrays.asList(Thread.currentThread().getContextClassLoader(),
                ChildJvmLauncher.class.getClassLoader());
        List<String> entries = new ArrayList<>(modulePathEntries(System.getProperty("jdk.module.path", "")));
        String own = System.getProperty("java.class.path", "");
        java.util.Set<Path> known = new java.util.HashSet<>();
        for (String e : entries) {
            Path p = normal(e);
            if (p != null) {
                known.add(p);
            }
        }
        if (!own.isEmpty()) {
            entries.add(own);
            for (String e : own.split(File.pathSeparator)) {
                Path p = normal(e);
                if (p != null) {
                    known.add(p);
                }
            }
        }
        for (Path p : loaderEntries(loaders)) {
            if (known.add(p)) {
                entries.add(p.toString());
            }
        }
        for (Path p : config.extraClasspath()) {
            entries.add(p.toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    /**
     * The local jars and directories that {@code loaders} (null elements skipped) and their parents below the
     * system class loader load from, parents first: the {@code file:} URLs of each {@link java.net.URLClassLoader},
     * and the code source of Offload's own worker main class wherever it was loaded from. This is how a worker gets
     * the application's classes, and Offload's, when a tool loaded them through a class loader of its own
     * ({@code mvn exec:java} sets the context class loader of the thread that runs {@code main}). Loaders of other
     * kinds say nothing of their sources; their classes need {@link WorkerConfig.Builder#extraClasspath}.
     */
    static List<Path> loaderEntries(List<ClassLoader> loaders) {
        ClassLoader system = ClassLoader.getSystemClassLoader();
        java.util.LinkedHashSet<Path> entries = new java.util.LinkedHashSet<>();
        for (ClassLoader loader : loaders) {
            List<ClassLoader> chain = new ArrayList<>();
            for (ClassLoader l = loader; l != null && l != system && l != ClassLoader.getPlatformClassLoader();
                    l = l.getParent()) {
                chain.add(0, l);
            }
            for (ClassLoader l : chain) {
                if (l instanceof java.net.URLClassLoader) {
                    for (java.net.URL url : ((java.net.URLClassLoader) l).getURLs()) {
                        Path p = localPath(url);
                        if (p != null) {
                            entries.add(p);
                        }
                    }
                }
            }
        }
        if (WorkerMain.class.getClassLoader() != system) { // else the class path or module path names it
            java.security.CodeSource own = WorkerMain.class.getProtectionDomain().getCodeSource();
            Path ownPath = own == null ? null : localPath(own.getLocation());
            if (ownPath != null) {
                entries.add(ownPath);
            }
        }
        return new ArrayList<>(entries);
    }

    /**
     * What to do when a worker's {@code java} could not find Offload's worker main class (its stderr says so), or
     * "": the class path given to workers lacks Offload itself, which this JVM loaded through a class loader that does
     * not say where from (not a {@code URLClassLoader} with {@code file:} URLs).
     */
    static String missingMainHint(String stderr) {
        if (stderr == null || !stderr.contains("Could not find or load main class " + WorkerMain.class.getName())) {
            return "";
        }
        java.security.CodeSource own = WorkerMain.class.getProtectionDomain().getCodeSource();
        return "\nthe worker's class path lacks Offload's own classes (loaded here from "
                + (own == null ? "an unknown location" : own.getLocation())
                + "): add the offload-core jar, and your code's jars, with WorkerConfig.Builder.extraClasspath";
    }

    private static Path localPath(java.net.URL url) {
        if (url == null || !"file".equals(url.getProtocol())) {
            return null;
        }
        try {
            return Path.of(url.toURI()).toAbsolutePath().normalize();
        } catch (java.net.URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null;
        }
    }

    private static Path normal(String entry) {
        if (entry.isEmpty()) {
            return null;
        }
        try {
            return Path.of(entry).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }

    /**
     * The class path entries that hold the modules of {@code modulePath}: a modular jar or an exploded module
     * (a directory with {@code module-info.class}) as it is; a directory of modules as its jars and exploded
     * modules, sorted by name.
     */
    static List<String> modulePathEntries(String modulePath) {
        List<String> entries = new ArrayList<>();
        if (modulePath.isEmpty()) {
            return entries;
        }
        for (String element : modulePath.split(File.pathSeparator)) {
            if (element.isEmpty()) {
                continue;
            }
            Path p = Path.of(element).toAbsolutePath();
            if (!Files.isDirectory(p) || Files.exists(p.resolve("module-info.class"))) {
                entries.add(p.toString());
                continue;
            }
            try (Stream<Path> children = Files.list(p)) {
                children.filter(c -> c.getFileName().toString().endsWith(".jar")
                                || Files.exists(c.resolve("module-info.class")))
                        .sorted()
                        .forEach(c -> entries.add(c.toString()));
            } catch (IOException e) {
                entries.add(p.toString()); // unreadable here: the worker's JVM will say why, if it matters
            }
        }
        return entries;
    }

    @Override
    public Launched launch() throws IOException {
        Path argfile = writeArgfile();
        try {
            List<String> command = new ArrayList<>(List.of(config.javaExecutable().toString(), "@" + argfile));
            long launchId = LAUNCHES.incrementAndGet();
            if (archive != null) {
                command.addAll(archive.optionsFor(launchId));
            }
            if (config.flightRecordings() != null && parentRecords()) {
                // Flight Recorder announces a recording on stdout, which would reach the user's output, unless its
                // start-up messages are configured; at "warning" it still does (JDK 17 and 25), at "error" not.
                command.add("-Xlog:jfr+startup=error:stderr");
                command.add("-XX:StartFlightRecording:dumponexit=true,filename=" + config.flightRecordings()
                        .resolve("offload-worker-" + SELF.pid() + "-" + RECORDINGS.incrementAndGet() + ".jfr"));
            }
            command.addAll(List.of(WorkerMain.class.getName(), Long.toString(SELF.pid()), Long.toString(parentStart()),
                    Integer.toString(config.maxFrameSize())));
            ProcessBuilder pb = new ProcessBuilder(command);
            Map<String, String> env = pb.environment();
            for (Map.Entry<String, String> e : config.environment().entrySet()) {
                if (e.getValue() == null) {
                    env.remove(e.getKey());
                } else {
                    env.put(e.getKey(), e.getValue());
                }
            }
            Process process;
            try {
                process = pb.start();
            } catch (IOException | RuntimeException e) {
                if (archive != null) {
                    archive.exited(launchId, false);
                }
                throw e;
            }
            return new Launched(process, () -> deleteQuietly(argfile), exit -> {
                if (archive != null) {
                    archive.exited(launchId, exit.clean());
                }
            }, archive != null && archive.trainsAotCache(launchId) ? ClassDataArchive::isAotCacheMessage : null);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(argfile);
            throw e;
        }
    }

    /**
     * Writes the argfile, readable by this user only, under a new name in the temporary directory. Not through
     * {@code Files.createTempFile}: its first use in a JVM sets up a {@code SecureRandom} (some 20 ms of a fresh JVM's
     * first call on this machine, 2026-11-22). The name needs to be new, not secret: the file is created exclusively
     * (a name taken, or a link planted there, makes us try the next one).
     */
    private Path writeArgfile() throws IOException {
        StringBuilder s = new StringBuilder();
        for (String a : argfileLines) {
            // Quoted, with the escapes the launcher's argfile reader undoes: a line break would end the argument.
            s.append('"').append(a.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                    .replace("\r", "\\r")).append("\"\n");
        }
        byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        java.nio.file.attribute.FileAttribute<?>[] attributes = posix
                ? new java.nio.file.attribute.FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
                : new java.nio.file.attribute.FileAttribute<?>[0];
        for (int attempt = 0; ; attempt++) {
            Path file = dir.resolve("offload-worker-" + SELF.pid() + "-" + ARGFILES.incrementAndGet() + "-"
                    + Long.toHexString(System.nanoTime()) + ".args");
            try (java.nio.channels.SeekableByteChannel out = Files.newByteChannel(file,
                    java.util.EnumSet.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                            java.nio.file.StandardOpenOption.WRITE), attributes)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                return file;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong ARGFILES =
            new java.util.concurrent.atomic.AtomicLong();

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            p.toFile().deleteOnExit();
        }
    }
}
