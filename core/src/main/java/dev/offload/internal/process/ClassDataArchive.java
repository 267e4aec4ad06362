package dev.offload.internal.process;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A class-data-sharing archive for workers, created automatically and cached on disk: the classes a worker loads
 * (Offload's, the codecs', the user's) mapped from a file instead of parsed and verified again in each new worker.
 *
 * <p>The first worker of a configuration runs as the <em>trainer</em>: it serves calls as usual and writes the
 * archive when it exits cleanly (a dynamic AppCDS archive on JDK 17-24, {@code -XX:ArchiveClassesAtExit}; an AOT
 * cache on JDK 25+, {@code -XX:AOTCacheOutput}), so no call waits for it. The parent moves the finished file into
 * place atomically; later workers, of this JVM or of the next run, start with it. Only when the classpath is all
 * jars (the JVM refuses to archive directories) and the workers run the parent's own JDK.
 *
 * <p>The file name is a hash of the JDK, the classpath (each jar's path, size and modification time) and the worker
 * options, so a rebuilt jar or a changed flag makes a new archive; archives unused for {@value #STALE_DAYS} days
 * are deleted. Off with {@code WorkerConfig.Builder.classDataSharing(false)} or {@code -Doffload.cds=false}.
 */
final class ClassDataArchive {
    static final int STALE_DAYS = 14;
    /** Trainers under way, by archive: one per archive in this JVM. */
    private static final Map<Path, Long> TRAINING = new ConcurrentHashMap<>();

    private final Path archive;
    private final boolean aot;

    private ClassDataArchive(Path archive, boolean aot) {
        this.archive = archive;
        this.aot = aot;
    }

    /**
     * The archive for workers started with these options and this classpath, or null when sharing does not apply
     * (turned off, a directory on the classpath, another JDK, no cache directory).
     */
    static ClassDataArchive of(boolean enabled, Path javaExecutable, List<String> options, String classpath) {
        if (!enabled || !Boolean.parseBoolean(System.getProperty("offload.cds", "true"))) {
            return null;
        }
        Path ownJava = Paths.get(System.getProperty("java.home"), "bin", "java");
        if (!javaExecutable.toAbsolutePath().normalize().equals(ownJava.toAbsolutePath().normalize())) {
            return null; // another JDK: its version and archive format are unknown here
        }
        for (String o : options) {
            if (o.startsWith("-Xshare") || o.contains("SharedArchiveFile") || o.contains("ArchiveClassesAtExit")
                    || o.contains("AOTCache") || o.contains("AOTMode")) {
                return null; // the user manages class data sharing
            }
        }
        try {
            Key key = new Key();
            key.update(System.getProperty("java.home"));
            key.update(System.getProperty("java.vm.version"));
            for (String o : options) {
                key.update(o);
            }
            for (String entry : classpath.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path p = Paths.get(entry);
                if (!entry.endsWith(".jar") || !Files.isRegularFile(p)) {
                    return null; // a directory (or a missing entry): the JVM would refuse to archive
                }
                key.update(p.toAbsolutePath().toString());
                key.update(Long.toString(Files.size(p)));
                key.update(Long.toString(Files.getLastModifiedTime(p).toMillis()));
            }
            Path dir = cacheDirectory();
            if (dir == null) {
                return null;
            }
            boolean aot = Runtime.version().feature() >= 25;
            return new ClassDataArchive(dir.resolve("worker-" + key.hex() + (aot ? ".aot" : ".jsa")), aot);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The archive's name: a 96-bit hash of its key's parts, two FNV-1a-style 64-bit hashes with different primes.
     * Not a cryptographic digest, on purpose: the JDK's first {@code MessageDigest} sets up the security providers,
     * about 50 ms of a fresh JVM's first call on this machine (2026-11-22), and a collision could cost no more than a
     * rebuilt archive, because the JVM checks an archive against its class path and JDK before it maps it.
     */
    static final class Key {
        private long a = 0xcbf29ce484222325L;
        private long b = 0x6c62272e07bb0142L;

        void update(String part) {
            for (int i = 0; i < part.length(); i++) {
                mix(part.charAt(i));
            }
            mix(0x10000); // after each part: no char has this value, so parts cannot run into each other
        }

        private void mix(int c) {
            a = (a ^ c) * 0x100000001b3L;
            b = (b ^ c) * 0x9e3779b97f4a7c15L;
        }

        /** 24 hex digits (without String.format, whose first use costs a fresh JVM milliseconds too). */
        String hex() {
            return hex(a, 16) + hex((b ^ (b >>> 29)) >>> 32, 8);
        }

        private static String hex(long v, int digits) {
            String h = Long.toHexString(v);
            return "0".repeat(digits - h.length()) + h;
        }
    }

    /** {@code $OFFLOAD_CACHE_DIR}, else {@code $XDG_CACHE_HOME/offload}, else {@code ~/.cache/offload}; null if unusable. */
    private static Path cacheDirectory() {
        String explicit = System.getProperty("offload.cache.dir", System.getenv("OFFLOAD_CACHE_DIR"));
        Path base;
        if (explicit != null && !explicit.isEmpty()) {
            base = Paths.get(explicit);
        } else {
            String xdg = System.getenv("XDG_CACHE_HOME");
            base = xdg != null && !xdg.isEmpty() ? Paths.get(xdg, "offload")
                    : Paths.get(System.getProperty("user.home"), ".cache", "offload");
        }
        Path dir = base.resolve("cds");
        try {
            Files.createDirectories(dir);
            return Files.isWritable(dir) ? dir : null;
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /**
     * Options for the next worker: use the archive if it exists; else, if no worker of this JVM is training it,
     * make this one the trainer (writing to a temporary file named by {@link #trainingFile}); else nothing.
     *
     * @param launchId identifies the launch, so that {@link #exited} can find the trainer
     */
    List<String> optionsFor(long launchId) {
        if (Files.isRegularFile(archive)) {
            touch();
            return List.of(aot ? "-XX:AOTCache=" + archive : "-XX:SharedArchiveFile=" + archive);
        }
        if (TRAINING.putIfAbsent(archive, launchId) != null) {
            return List.of();
        }
        deleteStale();
        Path out = trainingFile(launchId);
        // The dump warns about every class it skips (generated accessors, JFR classes): noise on the user's stderr.
        return aot ? List.of("-XX:AOTCacheOutput=" + out, "-Xlog:aot*=error:stderr", "-Xlog:cds*=error:stderr",
                "-Doffload.train=true")
                : List.of("-XX:ArchiveClassesAtExit=" + out, "-Xlog:cds*=error:stderr", "-Doffload.train=true");
    }

    /** Whether the worker of {@code launchId} writes an AOT cache as it exits (JDK 25+). */
    boolean trainsAotCache(long launchId) {
        Long trainer = TRAINING.get(archive);
        return aot && trainer != null && trainer == launchId;
    }

    /**
     * Whether a line of a worker's stderr is one the JDK prints while it writes an AOT cache at exit: it says so
     * (and the JVM it launches to assemble the cache announces its options) even with {@code -Xlog:aot*=error},
     * which a user should not see at the end of a program. The lines still reach a failure report's stderr tail.
     */
    static boolean isAotCacheMessage(String line) {
        return line.startsWith("Temporary AOTConfiguration recorded: ")
                || line.startsWith("Launching child process ") && line.contains(" to assemble AOT cache ")
                || line.startsWith("Picked up JAVA_TOOL_OPTIONS: ") && line.contains("-XX:AOTCacheOutput=")
                || line.startsWith("Reading AOTConfiguration ")
                || line.startsWith("AOTCache creation is complete: ")
                || line.startsWith("Removed temporary AOT configuration file ");
    }

    private Path trainingFile(long launchId) {
        return archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + "-" + launchId
                + ".tmp");
    }

    /** A worker exited: if it was the trainer and exited cleanly, its archive takes its place. */
    void exited(long launchId, boolean clean) {
        if (!TRAINING.remove(archive, launchId)) {
            return;
        }
        Path out = trainingFile(launchId);
        try {
            if (clean && Files.isRegularFile(out) && Files.size(out) > 0) {
                Files.move(out, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // another process put one in place meanwhile, or the directory vanished: the next start will tell
        } finally {
            try {
                Files.deleteIfExists(out);
                // JDK 25's AOTCacheOutput records into <output>.config first: left behind by a killed trainer.
                Files.deleteIfExists(out.resolveSibling(out.getFileName() + ".config"));
            } catch (IOException e) {
                // left for deleteStale
            }
        }
    }

    private void touch() {
        try {
            FileTime now = FileTime.from(Instant.now());
            if (Files.getLastModifiedTime(archive).toInstant().isBefore(Instant.now().minus(Duration.ofDays(1)))) {
                Files.setLastModifiedTime(archive, now);
            }
        } catch (IOException e) {
            // only staleness bookkeeping
        }
    }

    /** Deletes archives and leftover training files not used for {@value #STALE_DAYS} days. */
    private void deleteStale() {
        Instant limit = Instant.now().minus(Duration.ofDays(STALE_DAYS));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(archive.getParent(), "worker-*")) {
            for (Path f : files) {
                if (Files.getLastModifiedTime(f).toInstant().isBefore(limit)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }
}
