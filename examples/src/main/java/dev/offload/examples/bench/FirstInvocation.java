package dev.offload.examples.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * Why the worker invokes functions through core reflection: the cost of the very first invocation in a fresh JVM
 * (what a new worker pays on its first call). Run once per mode, each in its own JVM:
 * {@code java -cp ... dev.offload.examples.bench.FirstInvocation mh} and {@code ... reflect}.
 */
public final class FirstInvocation {
    private FirstInvocation() {}

    public static long one(int x) {
        return x;
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "reflect";
        long t0 = System.nanoTime();
        Method m = FirstInvocation.class.getDeclaredMethod("one", int.class);
        Object r;
        if (mode.equals("mh")) {
            MethodHandle mh = MethodHandles.lookup().unreflect(m);
            MethodHandle spread = mh.asType(MethodType.genericMethodType(1)).asSpreader(Object[].class, 1);
            try {
                r = (Object) spread.invokeExact(new Object[] {1});
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        } else {
            r = m.invoke(null, 1);
        }
        System.out.printf("%s: first invocation %.1f ms (result %s)%n", mode, (System.nanoTime() - t0) / 1e6, r);
    }
}
