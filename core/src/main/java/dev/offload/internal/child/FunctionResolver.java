package dev.offload.internal.child;

import dev.offload.internal.protocol.FunctionId;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Resolves {@link FunctionId}s to method handles in the worker, once each. Not thread-safe (the worker loop owns it). */
final class FunctionResolver {
    private final ClassLoader loader;
    private final Map<FunctionId, Target> cache = new HashMap<>();

    FunctionResolver(ClassLoader loader) {
        this.loader = loader;
    }

    /**
     * @throws IllegalStateException naming the function if it cannot be found or accessed in this worker
     */
    Target resolve(FunctionId id) {
        Target t = cache.get(id);
        if (t == null) {
            try {
                t = doResolve(id);
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                throw new IllegalStateException("cannot resolve " + id + " in the worker: class " + e.getMessage()
                        + " is not on the worker's classpath (the parent's java.class.path plus"
                        + " WorkerConfig extraClasspath); code loaded by a custom class loader must be added with"
                        + " WorkerConfig.builder().extraClasspath(...)", e);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot resolve " + id + " in the worker: " + e, e);
            }
            cache.put(id, t);
        }
        return t;
    }

    private Target doResolve(FunctionId id) throws ReflectiveOperationException {
        Class<?> owner = Class.forName(id.owner(), true, loader);
        MethodType type = MethodType.fromMethodDescriptorString(id.descriptor(), loader);
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        MethodHandle mh;
        Type[] params;
        Type ret;
        switch (id.kind()) {
            case CONSTRUCTOR: {
                Constructor<?> c = owner.getDeclaredConstructor(type.parameterArray());
                open(c);
                mh = lookup.unreflectConstructor(c);
                params = c.getGenericParameterTypes();
                ret = owner;
                break;
            }
            case STATIC: {
                Method m = findMethod(owner, id.name(), type);
                requireStatic(m, true);
                open(m);
                mh = lookup.unreflect(m);
                params = m.getGenericParameterTypes();
                ret = m.getGenericReturnType();
                break;
            }
            case VIRTUAL: {
                Method m = findMethod(owner, id.name(), type);
                requireStatic(m, false);
                open(m);
                mh = lookup.unreflect(m);
                params = prepend(owner, m.getGenericParameterTypes());
                ret = m.getGenericReturnType();
                break;
            }
            case OBJECT_MEMBER: {
                Method m = findMethod(owner, id.name(), type);
                Field instance = owner.getDeclaredField("INSTANCE");
                open(instance);
                open(m);
                mh = lookup.unreflect(m);
                if (!Modifier.isStatic(m.getModifiers())) {
                    mh = mh.bindTo(instance.get(null));
                }
                params = m.getGenericParameterTypes();
                ret = m.getGenericReturnType();
                break;
            }
            default:
                throw new IllegalStateException("unknown kind " + id.kind());
        }
        int n = mh.type().parameterCount();
        MethodHandle invoker = mh.asType(MethodType.genericMethodType(n)).asSpreader(Object[].class, n);
        return new Target(id, invoker, params, ret);
    }

    private static Type[] prepend(Type first, Type[] rest) {
        Type[] all = new Type[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void requireStatic(Method m, boolean wanted) {
        if (Modifier.isStatic(m.getModifiers()) != wanted) {
            throw new IllegalStateException(m + (wanted ? " is not static" : " is static"));
        }
    }

    private static void open(java.lang.reflect.AccessibleObject member) {
        try {
            member.setAccessible(true);
        } catch (RuntimeException e) {
            // InaccessibleObjectException: fine if the member is public in an exported package; unreflect decides.
        }
    }

    /** The method named {@code name} with exactly this type, declared by {@code c} or a supertype. */
    private static Method findMethod(Class<?> c, String name, MethodType type) throws NoSuchMethodException {
        Deque<Class<?>> todo = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        todo.add(c);
        while (!todo.isEmpty()) {
            Class<?> k = todo.poll();
            if (!seen.add(k)) {
                continue;
            }
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getReturnType() == type.returnType()
                        && Arrays.equals(m.getParameterTypes(), type.parameterArray())) {
                    return m;
                }
            }
            if (k.getSuperclass() != null) {
                todo.add(k.getSuperclass());
            }
            todo.addAll(Arrays.asList(k.getInterfaces()));
        }
        throw new NoSuchMethodException(c.getName() + "." + name + type.toMethodDescriptorString()
                + " does not exist in the worker's version of " + c.getName());
    }
}
