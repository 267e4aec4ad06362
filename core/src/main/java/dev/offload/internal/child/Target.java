package dev.offload.internal.child;

import dev.offload.internal.protocol.FunctionId;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Type;

/** A function resolved in the worker: a spreading method handle and the generic types codecs need. */
final class Target {
    final FunctionId id;
    final MethodHandle invoker;
    final Type[] parameterTypes;
    final Type returnType;

    Target(FunctionId id, MethodHandle invoker, Type[] parameterTypes, Type returnType) {
        this.id = id;
        this.invoker = invoker;
        this.parameterTypes = parameterTypes;
        this.returnType = returnType;
    }

    Object invoke(Object[] args) throws Throwable {
        return (Object) invoker.invokeExact(args);
    }
}
