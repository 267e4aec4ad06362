package dev.offload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;

/**
 * Turns a call's arguments and result into bytes and back: the codec SPI.
 *
 * <p>The parent encodes arguments and decodes the result; the worker decodes arguments and encodes the result.
 * The worker gets its own instance by creating {@link #workerClassName()} through its public no-argument
 * constructor, so an instance in the parent may carry per-call state (such as serializers chosen from static
 * types) that the worker rebuilds from the target method's generic signature.
 *
 * <pre>{@code
 * CallOptions opts = CallOptions.builder().codec(new MyJsonCodec()).build();
 * ctx.runSync(opts, Fns::score, doc);
 * }</pre>
 *
 * <p>Pitfalls: a codec runs in a worker that has loaded nothing else; keep its static initialisation cheap.
 * Errors thrown while encoding arguments fail the call before any worker is touched.
 *
 * <p>Implementations must be thread-safe.
 */
public interface Codec {
    /**
     * In the parent: writes the arguments of one call.
     *
     * @param arguments the arguments, in parameter order
     * @param out the stream the call's request is written to
     * @throws IOException if an argument cannot be encoded or the stream fails
     */
    void writeArguments(Object[] arguments, OutputStream out) throws IOException;

    /**
     * In the worker: reads arguments for a function whose parameters have these (generic) types.
     *
     * @param parameterTypes the generic parameter types of the target method
     * @param in the stream written by {@link #writeArguments}
     * @return the decoded arguments, one per parameter type
     * @throws IOException if the arguments cannot be decoded or the stream fails
     */
    Object[] readArguments(Type[] parameterTypes, InputStream in) throws IOException;

    /**
     * In the worker: writes the value the function returned ({@code null} for {@code void}).
     *
     * @param returnType the generic return type of the target method
     * @param result the returned value, possibly {@code null}
     * @param out the stream the reply is written to
     * @throws IOException if the result cannot be encoded or the stream fails
     */
    void writeResult(Type returnType, Object result, OutputStream out) throws IOException;

    /**
     * In the parent: reads the result written by {@link #writeResult}.
     *
     * @param in the stream written by {@link #writeResult}
     * @return the decoded result, possibly {@code null}
     * @throws IOException if the result cannot be decoded or the stream fails
     */
    Object readResult(InputStream in) throws IOException;

    /**
     * The class the worker instantiates (public, with a public no-argument constructor). Defaults to this
     * object's class.
     *
     * @return the binary name of the worker-side codec class
     */
    default String workerClassName() {
        return getClass().getName();
    }
}
