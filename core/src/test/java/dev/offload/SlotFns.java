package dev.offload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Stateful-map functions the tests run in workers (and in this JVM for the in-process backends). */
public final class SlotFns {
    private SlotFns() {}

    /** Inits per slot in this JVM. */
    static final Map<Integer, AtomicInteger> INITS = new ConcurrentHashMap<>();
    private static final AtomicInteger INITS_HERE = new AtomicInteger();

    /** What init made: who made it, and where. */
    public static final class State {
        final int slot;
        final String argument;
        final int initsInThisJvm;
        final String thread = Thread.currentThread().getName();
        int items;

        State(int slot, String argument) {
            this.slot = slot;
            this.argument = argument;
            this.initsInThisJvm = INITS_HERE.incrementAndGet();
            INITS.computeIfAbsent(slot, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    public static State open(int slot, String argument) {
        if (argument.endsWith("fail-init")) {
            throw new IllegalStateException("init failed for slot " + slot);
        }
        return new State(slot, argument);
    }

    public static State openNoArgument(int slot) {
        return new State(slot, "none");
    }

    /**
     * "slot|argument|pid|initsInThisJvm|thread|items so far|x*x"; -1 exits the worker, -2 sleeps forever, -3 throws.
     */
    public static String apply(State s, Integer x) throws InterruptedException {
        if (x == -1) {
            System.exit(3);
        } else if (x == -2) {
            Thread.sleep(Long.MAX_VALUE);
        } else if (x == -3) {
            throw new IllegalArgumentException("bad item " + x);
        }
        s.items++;
        return s.slot + "|" + s.argument + "|" + ProcessHandle.current().pid() + "|" + s.initsInThisJvm + "|"
                + s.thread + "|" + s.items + "|" + (x * x);
    }

    /** Appends "slot pid items" to the file named by the slot's argument (if it is a path). */
    public static void close(State s) throws IOException {
        if (s.argument.endsWith("fail-close")) {
            throw new IOException("close failed for slot " + s.slot);
        }
        if (s.argument.startsWith("/")) {
            Files.write(Path.of(s.argument), (s.slot + " " + ProcessHandle.current().pid() + " " + s.items + "\n")
                    .getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    public static int applyToInt(Integer state, Integer x) {
        return state + x;
    }
}
