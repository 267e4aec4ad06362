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

    /**
     * A builder starting from the settings of {@link #DEFAULT}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code true} (default): cancelling the call, or interrupting a caller blocked in {@code runSync}, SIGKILLs
     * its worker at once. {@code false}: the call finishes in its worker and its result is dropped.
     *
     * @return whether cancelling the call kills its worker
     */
    public boolean killOnCancel() {
        return killOnCancel;
    }

    /**
     * The limiter that admits the call, or {@code null} for {@link Offload#defaultLimiter()}.
     *
     * @return the call's limiter, or {@code null} for the default one
     */
    public Limiter limiter() {
        return limiter;
    }

    /**
     * The codec for arguments and result, or {@code null} for the context's Java codec.
     *
     * @return the call's codec, or {@code null} for the Java codec
     */
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

        /**
         * Sets what cancellation does (see {@link CallOptions#killOnCancel()}); {@code true} by default.
         *
         * @param killOnCancel {@code true} to SIGKILL the worker on cancel, {@code false} to let the call finish and
         *     drop its result
         * @return this builder
         */
        public Builder killOnCancel(boolean killOnCancel) {
            this.killOnCancel = killOnCancel;
            return this;
        }

        /**
         * Sets the limiter whose permit the call holds while it runs; the call waits for a permit before it touches a
         * worker.
         *
         * @param limiter the limiter, or {@code null} for {@link Offload#defaultLimiter()}
         * @return this builder
         */
        public Builder limiter(Limiter limiter) {
            this.limiter = limiter;
            return this;
        }

        /**
         * Sets the codec that carries the call's arguments and result.
         *
         * @param codec the codec, or {@code null} for the context's Java codec
         * @return this builder
         */
        public Builder codec(Codec codec) {
            this.codec = codec;
            return this;
        }

        /**
         * Builds the options from this builder's settings.
         *
         * @return new immutable options
         */
        public CallOptions build() {
            return new CallOptions(this);
        }
    }
}
