package dev.offload.coroutines.internal

import dev.offload.internal.protocol.FunctionId
import java.lang.reflect.Modifier
import kotlin.jvm.internal.CallableReference
import kotlin.jvm.internal.ClassBasedDeclarationContainer
import kotlin.jvm.internal.PropertyReference

/**
 * Reads the JVM identity of a Kotlin function reference (`::fib`, `Obj::f`, `Holder::member`) from its
 * [CallableReference], and refuses what a worker could not run by name.
 */
internal object KotlinFunctions {
    private const val CONTINUATION = "Lkotlin/coroutines/Continuation;)"

    /** The last id read for a reference class, with what it was read from (a class may serve several references). */
    private class Known(
        val owner: Class<*>?,
        val signature: String,
        val receiverClass: Class<*>?,
        val arity: Int,
        val id: FunctionId,
    )

    private val KNOWN = object : ClassValue<java.util.concurrent.atomic.AtomicReference<Known?>>() {
        override fun computeValue(type: Class<*>) = java.util.concurrent.atomic.AtomicReference<Known?>(null)
    }

    /** [read], remembered per reference class: reading it costs several µs, a call costs about 20. */
    fun of(fn: Any, arity: Int): FunctionId {
        if (fn !is CallableReference) return read(fn, arity)
        val receiver = fn.boundReceiver
        val receiverClass = if (receiver === CallableReference.NO_RECEIVER) null else receiver?.javaClass
        val owner = (fn.owner as? ClassBasedDeclarationContainer)?.jClass
        val slot = KNOWN.get(fn.javaClass)
        val known = slot.get()
        if (known != null && known.arity == arity && known.owner == owner && known.receiverClass == receiverClass &&
            known.signature == fn.signature
        ) {
            return known.id
        }
        return read(fn, arity).also { slot.set(Known(owner, fn.signature, receiverClass, arity, it)) }
    }

    private fun read(fn: Any, arity: Int): FunctionId {
        if (fn is kotlin.jvm.internal.AdaptedFunctionReference) {
            throw IllegalArgumentException(
                "cannot run this reference in a worker (${fn.javaClass.name}): Kotlin adapted it to the call (default " +
                    "arguments left out, a vararg spread, or a result turned into Unit), which makes it a lambda " +
                    "that a worker cannot find by name. Pass every argument, or reference a function whose " +
                    "parameters and result match the call exactly",
            )
        }
        if (fn !is CallableReference) {
            val name = fn.javaClass.name
            throw IllegalArgumentException(
                if (name.contains("\$\$Lambda") || name.contains("\$lambda")) {
                    "cannot run a lambda in a worker ($name): a worker runs a function it finds by name, and a " +
                        "lambda has none. Move the body into a top-level function and pass a reference to it, " +
                        "such as runSync(::myFunction, x)"
                } else {
                    "cannot run a $name in a worker: pass a function reference such as ::myFunction (a top-level " +
                        "function, an object member, or Type::member)"
                },
            )
        }
        if (fn is PropertyReference) {
            throw IllegalArgumentException(
                "cannot run the property reference ::${fn.name} in a worker: pass a function reference instead",
            )
        }
        val signature = fn.signature
        val paren = signature.indexOf('(')
        val jvmName = signature.substring(0, paren)
        val descriptor = signature.substring(paren)
        val owner = (fn.owner as? ClassBasedDeclarationContainer)?.jClass
            ?: throw IllegalArgumentException("cannot run ${fn.name}: its declaring class is unknown")
        if (descriptor.contains(CONTINUATION)) {
            throw IllegalArgumentException(
                "cannot run the suspend function ${owner.name}.${fn.name} in a worker: a worker runs blocking " +
                    "code. Make it a regular (non-suspend) function; runSync itself is the suspending part",
            )
        }
        if (jvmName != fn.name && jvmName.endsWith("$" + fn.name) && !jvmName.startsWith(fn.name + "$")) {
            throw IllegalArgumentException(
                "cannot run the local function ${fn.name} (compiled as $jvmName in ${enclosingName(owner, fn)}) " +
                    "in a worker: " +
                    "move it to the top level of its file, or into an object, and pass ::${fn.name}",
            )
        }
        val receiver = fn.boundReceiver
        val kind = when {
            receiver === CallableReference.NO_RECEIVER && jvmName == "<init>" -> FunctionId.Kind.CONSTRUCTOR
            receiver === CallableReference.NO_RECEIVER ->
                if (isStatic(owner, jvmName, descriptor)) FunctionId.Kind.STATIC else FunctionId.Kind.VIRTUAL
            isObjectInstance(receiver) -> FunctionId.Kind.OBJECT_MEMBER
            isCompanionInstance(receiver) -> FunctionId.Kind.COMPANION_MEMBER
            else -> throw IllegalArgumentException(
                "cannot run a function reference bound to a ${receiver?.javaClass?.name} in a worker " +
                    "(${owner.simpleName}::${fn.name} on an instance): the receiver object cannot travel. " +
                    "Use a top-level function, an object member, or the unbound ${owner.simpleName}::${fn.name} " +
                    "that takes the receiver as its first argument",
            )
        }
        val ownerName = if (kind == FunctionId.Kind.OBJECT_MEMBER || kind == FunctionId.Kind.COMPANION_MEMBER) {
            receiver!!.javaClass.name
        } else {
            owner.name
        }
        val expected = arity + if (kind == FunctionId.Kind.VIRTUAL) -1 else 0
        val declared = countParameters(descriptor)
        if (declared != expected && !declares(owner, jvmName, descriptor)) {
            throw IllegalArgumentException(
                "cannot run $ownerName.${fn.name} in a worker: that class has no method ${fn.name}$descriptor a " +
                    "worker could call. Kotlin inlines some functions into their callers (kotlin.math.sqrt and " +
                    "String.uppercase among them), and those have no method of their own. Wrap it in a top-level " +
                    "function of yours, such as fun root(x: Double) = sqrt(x), and pass ::root",
            )
        }
        if (declared != expected) {
            throw IllegalArgumentException(
                "cannot run $ownerName.${fn.name}: it takes $declared JVM parameters but is called with $expected " +
                    "(functions with default arguments or extension receivers of other kinds are not supported)",
            )
        }
        return FunctionId(ownerName, jvmName, descriptor, kind)
    }

    /** Whether [owner] declares [name] with [descriptor] as a static method (top-level functions are static). */
    /** Per owner class, "name descriptor" to whether that method is static: scanning declaredMethods per call cost µs. */
    private val STATIC_METHODS = object : ClassValue<java.util.concurrent.ConcurrentHashMap<String, Boolean>>() {
        override fun computeValue(type: Class<*>) = java.util.concurrent.ConcurrentHashMap<String, Boolean>()
    }

    private fun isStatic(owner: Class<*>, name: String, descriptor: String): Boolean =
        STATIC_METHODS.get(owner).getOrPut("$name $descriptor") {
            // Its own methods, and public ones it inherits: a multifile facade such as the standard library's
            // kotlin.collections.CollectionsKt inherits its functions from its part classes.
            (owner.declaredMethods.asSequence() + owner.methods.asSequence()).any {
                it.name == name && descriptorOf(it) == descriptor && Modifier.isStatic(it.modifiers)
            }
        }

    /** Whether [owner] has a public method [name] with [descriptor], its own or inherited, or declares one. */
    private fun declares(owner: Class<*>, name: String, descriptor: String): Boolean =
        (owner.methods.asSequence() + owner.declaredMethods.asSequence())
            .any { it.name == name && descriptorOf(it) == descriptor && Modifier.isPublic(it.modifiers) }

    private fun descriptorOf(m: java.lang.reflect.Method): String =
        m.parameterTypes.joinToString("", "(", ")") { typeDescriptor(it) } + typeDescriptor(m.returnType)

    private fun typeDescriptor(c: Class<*>): String = when {
        c.isArray -> c.name.replace('.', '/')
        c == Void.TYPE -> "V"
        c == Integer.TYPE -> "I"
        c == java.lang.Long.TYPE -> "J"
        c == java.lang.Boolean.TYPE -> "Z"
        c == java.lang.Byte.TYPE -> "B"
        c == java.lang.Character.TYPE -> "C"
        c == java.lang.Short.TYPE -> "S"
        c == java.lang.Float.TYPE -> "F"
        c == java.lang.Double.TYPE -> "D"
        else -> "L" + c.name.replace('.', '/') + ";"
    }

    private fun isObjectInstance(receiver: Any?): Boolean {
        if (receiver == null) return false
        val field = runCatching { receiver.javaClass.getDeclaredField("INSTANCE") }.getOrNull() ?: return false
        if (!Modifier.isStatic(field.modifiers)) return false
        field.isAccessible = true
        return field.get(null) === receiver
    }

    private fun isCompanionInstance(receiver: Any?): Boolean {
        val outer = receiver?.javaClass?.declaringClass ?: return false
        return outer.declaredFields.any {
            Modifier.isStatic(it.modifiers) && it.type == receiver.javaClass &&
                runCatching { it.isAccessible = true; it.get(null) === receiver }.getOrDefault(false)
        }
    }

    private fun countParameters(descriptor: String): Int {
        var n = 0
        var i = 1
        while (descriptor[i] != ')') {
            while (descriptor[i] == '[') i++
            i = if (descriptor[i] == 'L') descriptor.indexOf(';', i) + 1 else i + 1
            n++
        }
        return n
    }
}

/**
 * The class a local function is declared in, for messages: Kotlin's reflection gives a placeholder owner for local
 * functions (`kotlin.jvm.internal.Intrinsics${'$'}Kotlin`), so the class enclosing the reference is named instead.
 */
private fun enclosingName(owner: Class<*>, fn: Any): String = when {
    owner.name.startsWith("kotlin.jvm.internal.") -> (fn.javaClass.enclosingClass ?: fn.javaClass).name
    else -> owner.name
}
