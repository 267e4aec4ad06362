package dev.offload.internal.child;

import dev.offload.internal.protocol.FunctionId;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;

/**
 * A function resolved in the worker, with the generic types codecs need. It is invoked through core reflection,
 * not a {@code MethodHandle}: on JDK 17 the first method-handle invocation spins lambda forms and costs 20-30 ms
 * of a fresh worker's first call, where {@code Method.invoke} costs well under 1 ms (and JDK 18+ implements
 * reflection with method handles anyway).
 */
final class Target {
    final FunctionId id;
    final Type[] parameterTypes;
    final Type returnType;
    private final Method method;
    private final Constructor<?> constructor;
    private final Object receiver;
    private final boolean receiverFirst;

    private Target(FunctionId id, Method method, Constructor<?> constructor, Object receiver, boolean receiverFirst,
            Type[] parameterTypes, Type returnType) {
        this.id = id;
        this.method = method;
        this.constructor = constructor;
        this.receiver = receiver;
        this.receiverFirst = receiverFirst;
        this.parameterTypes = parameterTypes;
        this.returnType = returnType;
    }

    static Target ofStatic(FunctionId id, Method m) {
        return new Target(id, m, null, null, false, m.getGenericParameterTypes(), m.getGenericReturnType());
    }

    /** An instance method whose receiver is the first argument. */
    static Target ofVirtual(FunctionId id, Method m) {
        Type[] declared = m.getGenericParameterTypes();
        Type[] all = new Type[declared.length + 1];
        all[0] = m.getDeclaringClass();
        System.arraycopy(declared, 0, all, 1, declared.length);
        return new Target(id, m, null, null, true, all, m.getGenericReturnType());
    }

    /** An instance method of a fixed receiver (a Kotlin object). */
    static Target ofBound(FunctionId id, Method m, Object receiver) {
        return new Target(id, m, null, receiver, false, m.getGenericParameterTypes(), m.getGenericReturnType());
    }

    static Target ofConstructor(FunctionId id, Constructor<?> c) {
        return new Target(id, null, c, null, false, c.getGenericParameterTypes(), c.getDeclaringClass());
    }

    /**
     * Runs the function; throws exactly what it throws. The thread's interrupt flag is cleared afterwards (as a
     * {@code ThreadPoolExecutor} does between tasks): a function that left it set (the usual catch-and-re-interrupt of
     * an {@code InterruptedException}) must not fail the next call this worker runs.
     */
    Object invoke(Object[] args) throws Throwable {
        try {
            if (constructor != null) {
                return constructor.newInstance(args);
            }
            if (receiverFirst) {
                Object[] rest = new Object[args.length - 1];
                System.arraycopy(args, 1, rest, 0, rest.length);
                if (args[0] == null) {
                    throw new NullPointerException("receiver (argument 1) of " + id + " is null");
                }
                return method.invoke(args[0], rest);
            }
            return method.invoke(receiver, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            Thread.interrupted();
        }
    }
}
