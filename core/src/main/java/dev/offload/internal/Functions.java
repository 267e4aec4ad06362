package dev.offload.internal;

import dev.offload.internal.protocol.FunctionId;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.Objects;

/**
 * Reads the JVM identity of a Java method reference from its {@link SerializedLambda}, once per lambda class,
 * and refuses what a worker could not run by name: lambdas, bound references, hand-written classes.
 */
public final class Functions {
    private Functions() {}

    /** Per lambda class: its FunctionId, or the message explaining why it cannot be shipped. */
    private static final ClassValue<Object[]> CACHE = new ClassValue<>() {
        @Override
        protected Object[] computeValue(Class<?> type) {
            return new Object[1];
        }
    };

    /**
     * The identity of {@code fn}, a method reference to a static method, constructor or unbound instance method.
     *
     * @throws IllegalArgumentException saying what to write instead, if {@code fn} is anything else
     */
    public static FunctionId of(Object fn) {
        Objects.requireNonNull(fn, "function must not be null; pass a method reference such as Fns::fib");
        Object[] slot = CACHE.get(fn.getClass());
        Object v = slot[0];
        if (v == null) {
            v = compute(fn);
            slot[0] = v;
        }
        if (v instanceof String) {
            throw new IllegalArgumentException((String) v);
        }
        return (FunctionId) v;
    }

    private static Object compute(Object fn) {
        SerializedLambda sl = serializedLambda(fn);
        if (sl == null) {
            return "cannot run a " + fn.getClass().getName() + " in a worker: a worker runs a method it finds by"
                    + " name, so pass a method reference such as MyFunctions::compute (a static method, a"
                    + " constructor, or an unbound instance method), not an object";
        }
        String impl = sl.getImplMethodName();
        String owner = sl.getImplClass().replace('/', '.');
        if (impl.startsWith("lambda$") && sl.getInstantiatedMethodType().contains(")[")
                && sl.getCapturedArgCount() == 0) {
            String type = sl.getInstantiatedMethodType();
            return "cannot run an array constructor reference in a worker (" + type + ", such as int[]::new): it"
                    + " compiles to a lambda, which a worker cannot find by name. Write a static method that returns"
                    + " the new array and pass a reference to it";
        }
        if (impl.startsWith("lambda$")) {
            return "cannot run a lambda in a worker (" + owner + "." + impl + "): a worker runs a method it finds"
                    + " by name and a lambda has none. Move the body into a static method and pass a reference to"
                    + " it, such as " + simpleName(owner) + "::myFunction. (A method reference the compiler cannot"
                    + " name directly, such as StringBuilder::length, whose method a non-public class declares, also"
                    + " compiles to a lambda: call it from a static method of yours.)";
        }
        if (sl.getCapturedArgCount() > 0) {
            Object receiver = sl.getCapturedArg(0);
            if (receiver != null && isKotlinObject(receiver.getClass())) {
                String name = receiver.getClass().getName().replace('$', '.');
                return "cannot run a member of the Kotlin object " + name + " here (" + owner + "::" + impl + "): "
                        + "given to a Java API such as WorkerConfig.init, it arrives bound to that object, which "
                        + "cannot travel. Pass a top-level function instead, such as fun setUp() = "
                        + simpleName(receiver.getClass().getName()) + ".setUp(), as ::setUp";
            }
            return "cannot run a bound method reference in a worker (" + owner + "::" + impl + " bound to a "
                    + (receiver == null ? "null" : receiver.getClass().getName()) + "): the receiver object cannot"
                    + " travel. Use a static method, or an unbound reference such as " + simpleName(owner) + "::"
                    + impl + " that takes the receiver as its first argument";
        }
        FunctionId.Kind kind;
        switch (sl.getImplMethodKind()) {
            case MethodHandleInfo.REF_invokeStatic:
                kind = FunctionId.Kind.STATIC;
                break;
            case MethodHandleInfo.REF_invokeVirtual:
            case MethodHandleInfo.REF_invokeInterface:
            case MethodHandleInfo.REF_invokeSpecial:
                kind = FunctionId.Kind.VIRTUAL;
                break;
            case MethodHandleInfo.REF_newInvokeSpecial:
                kind = FunctionId.Kind.CONSTRUCTOR;
                break;
            default:
                return "cannot run " + owner + "." + impl + " in a worker: unsupported method handle kind "
                        + MethodHandleInfo.referenceKindToString(sl.getImplMethodKind());
        }
        return new FunctionId(owner, impl, sl.getImplMethodSignature(), kind);
    }

    /** A Kotlin {@code object} or companion: a class with a static {@code INSTANCE} (or its outer {@code Companion}). */
    private static boolean isKotlinObject(Class<?> c) {
        Class<?> outer = c.getEnclosingClass();
        return hasStaticField(c, "INSTANCE")
                || outer != null && c.getSimpleName().equals("Companion") && hasStaticField(outer, "Companion");
    }

    private static boolean hasStaticField(Class<?> c, String name) {
        try {
            return java.lang.reflect.Modifier.isStatic(c.getDeclaredField(name).getModifiers());
        } catch (NoSuchFieldException | SecurityException e) {
            return false;
        }
    }

    private static SerializedLambda serializedLambda(Object fn) {
        try {
            Method m = fn.getClass().getDeclaredMethod("writeReplace");
            m.setAccessible(true);
            Object r = m.invoke(fn);
            return r instanceof SerializedLambda ? (SerializedLambda) r : null;
        } catch (NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot read the method behind " + fn.getClass().getName()
                    + " (" + e + "); if it is declared in a named module, open its package to dev.offload", e);
        }
    }

    private static String simpleName(String binaryName) {
        String s = binaryName.substring(binaryName.lastIndexOf('.') + 1);
        return s.substring(s.lastIndexOf('$') + 1);
    }
}
