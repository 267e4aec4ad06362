package dev.offload;

/**
 * Per-call choices: what cancellation does, which limiter admits the call, which codec carries its values.
 * Immutable; {@link #DEFAULT} or {@link #builder()}.
 *
 * <pre>{@code
 * CallOptions finish = CallOptions.builder().killOnCancel(false).build();
 * Future<Image> f = ctx.submit(finish, Render::scene, spec);
 * f.cancel(true);   // the render finishes in its worker; its result is dropped
 * }</pre>
 */
public final class CallOptions {
    /** Kill on cancel, the default limiter, the context's Java codec. */
    public static final CallOptions DEFAULT = new Builder().build();

    private final boolean killOnCancel;
    private final Limiter limiter;
    private final Codec codec;

    private CallOptions(Builder b) {
        killOnCancel = b.killOnCancel;
        limiter = b.limiter;
        codec = b.codec;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code true} (default): cancelling the call, or interrupting a caller blocked in {@code runSync}, SIGKILLs
     * its worker at once. {@code false}: the call finishes in its worker and its result is dropped.
     */
    public boolean killOnCancel() {
        return killOnCancel;
    }

    /** The limiter that admits the call, or {@code null} for {@link Offload#defaultLimiter()}. */
    public Limiter limiter() {
        return limiter;
    }

    /** The codec for arguments and result, or {@code null} for the context's Java codec. */
    public Codec codec() {
        return codec;
    }

    @Override
    public String toString() {
        return "CallOptions(killOnCancel=" + killOnCancel + ", limiter=" + limiter + ", codec=" + codec + ")";
    }

    /** Builds {@link CallOptions}. */
    public static final class Builder {
        private boolean killOnCancel = true;
        private Limiter limiter;
        private Codec codec;

        private Builder() {}

        public Builder killOnCancel(boolean killOnCancel) {
            this.killOnCancel = killOnCancel;
            return this;
        }

        public Builder limiter(Limiter limiter) {
            this.limiter = limiter;
            return this;
        }

        public Builder codec(Codec codec) {
            this.codec = codec;
            return this;
        }

        public CallOptions build() {
            return new CallOptions(this);
        }
    }
}
