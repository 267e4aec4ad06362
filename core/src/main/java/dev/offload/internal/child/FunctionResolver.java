package dev.offload.internal.child;

import dev.offload.internal.protocol.FunctionId;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Resolves {@link FunctionId}s to reflective members in the worker, once each. Not thread-safe (the worker loop owns it). */
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
                        + " is not on the worker's classpath (the parent's module path and class path plus"
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
        Descriptor type = Descriptor.parse(id.descriptor(), loader);
        switch (id.kind()) {
            case CONSTRUCTOR: {
                Constructor<?> c = owner.getDeclaredConstructor(type.parameterArray());
                open(c);
                return Target.ofConstructor(id, c);
            }
            case STATIC: {
                Method m = findMethod(owner, id.name(), type);
                requireStatic(m, true);
                open(m);
                return Target.ofStatic(id, m);
            }
            case VIRTUAL: {
                Method m = findMethod(owner, id.name(), type);
                requireStatic(m, false);
                open(m);
                return Target.ofVirtual(id, m);
            }
            case OBJECT_MEMBER: {
                Method m = findMethod(owner, id.name(), type);
                open(m);
                if (Modifier.isStatic(m.getModifiers())) {
                    return Target.ofStatic(id, m);
                }
                Field instance = owner.getDeclaredField("INSTANCE");
                open(instance);
                return Target.ofBound(id, m, instance.get(null));
            }
            case COMPANION_MEMBER: {
                Method m = findMethod(owner, id.name(), type);
                open(m);
                return Target.ofBound(id, m, companionInstance(owner));
            }
            default:
                throw new IllegalStateException("unknown kind " + id.kind());
        }
    }

    /** The companion object {@code companion}: the static field of its declaring class that holds it. */
    private static Object companionInstance(Class<?> companion) throws ReflectiveOperationException {
        Class<?> outer = companion.getDeclaringClass();
        if (outer != null) {
            for (Field f : outer.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) && f.getType() == companion) {
                    open(f);
                    return f.get(null);
                }
            }
        }
        throw new NoSuchFieldException("no static field holding the companion " + companion.getName());
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
    private static Method findMethod(Class<?> c, String name, Descriptor type) throws NoSuchMethodException {
        Deque<Class<?>> todo = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        todo.add(c);
        while (!todo.isEmpty()) {
            Class<?> k = todo.poll();
            if (!seen.add(k)) {
                continue;
            }
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && type.matches(m.getParameterTypes(), m.getReturnType())) {
                    return m;
                }
            }
            if (k.getSuperclass() != null) {
                todo.add(k.getSuperclass());
            }
            todo.addAll(Arrays.asList(k.getInterfaces()));
        }
        throw new NoSuchMethodException(c.getName() + "." + name + type
                + " does not exist in the worker's version of " + c.getName());
    }
}
