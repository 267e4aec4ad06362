package dev.offload.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Every open context, so that one shutdown hook can close them all (with their grace periods) at JVM exit. */
final class ContextRegistry {
    private ContextRegistry() {}

    private static final Set<ContextCore> OPEN = Collections.newSetFromMap(new IdentityHashMap<>());
    private static boolean hookInstalled;

    static synchronized void register(ContextCore core) {
        OPEN.add(core);
        if (!hookInstalled) {
            try {
                Runtime.getRuntime().addShutdownHook(new Thread(ContextRegistry::closeAll, "offload-shutdown"));
                hookInstalled = true;
            } catch (IllegalStateException shuttingDown) {
                // Opened from a shutdown hook (or after one ran): this JVM is exiting, and then its workers exit
                // too (their pipes close), so the context still serves the hook's calls.
            }
        }
    }

    static synchronized void unregister(ContextCore core) {
        OPEN.remove(core);
    }

    /** The contexts open now. */
    static synchronized List<ContextCore> open() {
        return new ArrayList<>(OPEN);
    }

    private static void closeAll() {
        List<ContextCore> open;
        synchronized (ContextRegistry.class) {
            open = new ArrayList<>(OPEN);
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (ContextCore c : open) {
            closing.add(c.closeAsync());
        }
        closing.forEach(CompletableFuture::join);
    }
}
