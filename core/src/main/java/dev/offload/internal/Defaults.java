package dev.offload.internal;

import dev.offload.Limiter;
import dev.offload.WorkerConfig;

/** The process-wide default limiter and default context configuration. */
public final class Defaults {
    private Defaults() {}

    private static final Limiter LIMITER = Limiter.create(Runtime.getRuntime().availableProcessors());

    /** One permit per available processor, unless changed. */
    public static Limiter limiter() {
        return LIMITER;
    }
}
