package dev.offload;

import java.io.Serializable;

/**
 * A function of 0 arguments that can run in a worker: write it as a method reference to a static method
 * ({@code Fns::fib}), a constructor ({@code Point::new}) or an unbound instance method ({@code String::length}, whose receiver is
 * the first argument).
 *
 * <p>The worker finds the method by owner class, name and descriptor, so the reference must not capture
 * anything: lambdas and bound references such as {@code this::f} or {@code obj::f} are refused at the call site.
 * {@code X} is the checked exception the method declares, so a caller catches it as itself.
 *
 * <p>One interface per arity on purpose: two interfaces of the same arity would make every method reference
 * ambiguous for javac.
 *
 * @param <R> the type of the result
 * @param <X> the checked exception the method declares (inferred as {@link RuntimeException} when it declares
 *     none)
 */
@FunctionalInterface
public interface Fn0<R, X extends Exception> extends Serializable {
    /**
     * Runs the function.
     *
     * @return the result
     * @throws X what the method throws; a caller of {@code runSync} gets it as itself
     */
    R apply() throws X;
}
