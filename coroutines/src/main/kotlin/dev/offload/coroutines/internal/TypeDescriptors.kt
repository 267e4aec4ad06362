package dev.offload.coroutines.internal

import java.lang.reflect.Method
import java.lang.reflect.ParameterizedType
import java.lang.reflect.Type
import kotlin.reflect.KClass
import kotlin.reflect.KClassifier
import kotlin.reflect.KType
import kotlin.reflect.KTypeProjection
import kotlin.reflect.KVariance
import kotlinx.serialization.KSerializer
import kotlinx.serialization.builtins.nullable
import kotlinx.serialization.serializer

/**
 * The caller's Kotlin types, told to the worker in text so that its serializers are the caller's. A worker that
 * chose serializers from the JVM signature got them wrong wherever erasure or mangling hides the Kotlin type:
 * `List<String?>` (no nulls expected), `UInt` and `Duration` (plain `int` and `long` in the signature), a sealed
 * class's subclass passed where the parameter is the sealed type.
 *
 * A description is the result type, then each argument type, one per line. A type is its class's binary name (the
 * boxed one for a primitive), then its arguments in `<...>` separated by `,` (each `*`, or a type after an optional
 * `in ` or `out `), then `?` if nullable: `java.util.List<java.lang.String?>`. The worker rebuilds each as a [KType]
 * of its own (no kotlin-reflect needed) and asks kotlinx.serialization for its serializer.
 */
internal object TypeDescriptors {
    /** The description of a call's types. */
    fun describe(arguments: List<KType>, result: KType): String = buildString {
        appendType(result)
        for (t in arguments) {
            append('\n')
            appendType(t)
        }
    }

    private fun StringBuilder.appendType(t: KType) {
        val c = t.classifier as? KClass<*>
            ?: throw IllegalArgumentException("the type $t is not a class: call with a concrete type")
        append(c.javaObjectType.name)
        if (t.arguments.isNotEmpty()) {
            append('<')
            t.arguments.forEachIndexed { i, p ->
                if (i > 0) append(',')
                val type = p.type
                if (type == null) {
                    append('*')
                } else {
                    when (p.variance) {
                        KVariance.IN -> append("in ")
                        KVariance.OUT -> append("out ")
                        else -> {}
                    }
                    appendType(type)
                }
            }
            append('>')
        }
        if (t.isMarkedNullable) append('?')
    }

    /** Serializers rebuilt in the worker from a description. */
    class Rebuilt(val arguments: List<KSerializer<Any?>>, val result: KSerializer<Any?>, val resultClass: Class<*>)

    /** The caller's serializers, from its description. */
    fun rebuild(description: String): Rebuilt {
        val loader = Thread.currentThread().contextClassLoader ?: ClassLoader.getSystemClassLoader()
        val lines = lines(description)
        val serializers = lines.map { line ->
            quick(line, loader) ?: Parser(line, loader).whole().let {
                try {
                    serializer(it)
                } catch (e: Exception) {
                    throw IllegalArgumentException(
                        "the worker has no serializer for the caller's type $it: ${e.message}", e,
                    )
                }
            }
        }
        val first = lines[0]
        val end = argumentsStart(first)
        val result = first.substring(0, if (end == first.length && nullable(first)) end - 1 else end)
        return Rebuilt(serializers.drop(1), serializers[0], load(result, loader))
    }

    // Plain loops rather than kotlin.text's extensions, whose facade classes a fresh worker would load for this
    // alone (some 15 classes, part of a first call's cost).

    private fun lines(text: String): List<String> {
        val out = ArrayList<String>(4)
        var start = 0
        for (i in 0 until text.length) {
            if (text[i] == '\n') {
                out.add(text.substring(start, i))
                start = i + 1
            }
        }
        out.add(text.substring(start, text.length))
        return out
    }

    private fun nullable(type: String): Boolean = type.length > 0 && type[type.length - 1] == '?'

    /** Where the type arguments of [type] begin, or its length. */
    private fun argumentsStart(type: String): Int {
        for (i in 0 until type.length) if (type[i] == '<') return i
        return type.length
    }

    /**
     * The serializer of a common type without arguments (`java.lang.Integer`, `java.lang.String?`), taken
     * directly: the lookup by [KType] sets up Kotlin's class references and kotlinx's table of built-in serializers
     * first, which cost a fresh worker's first call about 150 ms here (Kotlin cold start 400 against 245 ms, probe,
     * 2026-11-22).
     */
    @Suppress("UNCHECKED_CAST")
    private fun quick(line: String, loader: ClassLoader): KSerializer<Any?>? {
        if (argumentsStart(line) < line.length) return null
        val nullable = nullable(line)
        val name = if (nullable) line.substring(0, line.length - 1) else line
        val s = KotlinxCodec.builtin(load(name, loader)) as KSerializer<Any>? ?: return null
        return (if (nullable) s.nullable else s) as KSerializer<Any?>
    }

    private fun load(name: String, loader: ClassLoader): Class<*> = try {
        Class.forName(name, false, loader)
    } catch (e: ClassNotFoundException) {
        throw IllegalArgumentException("the caller's type $name is not on the worker's classpath", e)
    }

    /** A type as the worker rebuilds it: what kotlinx.serialization reads of a [KType]. */
    private data class RebuiltType(
        override val classifier: KClassifier,
        override val arguments: List<KTypeProjection>,
        override val isMarkedNullable: Boolean,
    ) : KType {
        override val annotations: List<Annotation> get() = emptyList()

        override fun toString(): String = (classifier as KClass<*>).java.name +
            (if (arguments.isEmpty()) "" else arguments.joinToString(",", "<", ">") { it.type?.toString() ?: "*" }) +
            (if (isMarkedNullable) "?" else "")
    }

    private class Parser(private val s: String, private val loader: ClassLoader) {
        private var i = 0

        fun whole(): KType = type().also {
            if (i != s.length) bad("unexpected '${s[i]}' at $i")
        }

        private fun type(): KType {
            val start = i
            while (i < s.length && s[i] != '<' && s[i] != '>' && s[i] != ',' && s[i] != '?') i++
            val name = s.substring(start, i)
            val type = load(name, loader)
            val arguments = mutableListOf<KTypeProjection>()
            if (i < s.length && s[i] == '<') {
                i++
                arguments += projection()
                while (i < s.length && s[i] == ',') {
                    i++
                    arguments += projection()
                }
                if (i >= s.length || s[i] != '>') bad("missing '>'")
                i++
            }
            val nullable = i < s.length && s[i] == '?'
            if (nullable) i++
            return RebuiltType(type.kotlin, arguments, nullable)
        }

        private fun projection(): KTypeProjection = when {
            s.startsWith("*", i) -> KTypeProjection.STAR.also { i++ }
            s.startsWith("in ", i) -> { i += 3; KTypeProjection.contravariant(type()) }
            s.startsWith("out ", i) -> { i += 4; KTypeProjection.covariant(type()) }
            else -> KTypeProjection.invariant(type())
        }

        private fun bad(what: String): Nothing = throw IllegalArgumentException("bad type description \"$s\": $what")
    }

    /**
     * [value], decoded with the caller's serializer, as the JVM method takes it: a value class (`UInt`, `Duration`,
     * your own) whose parameter the JVM signature declares as its underlying type is unboxed. Where that underlying
     * type erases to `Object` (a generic value class, or one over `Any`), the box fits the parameter too; then
     * [unboxedValueClass] decides: the caller sent a value class and the method's name is mangled, as Kotlin mangles
     * the functions that take value classes unboxed. An `Any` parameter, or a type variable's (`fun <T> f(x: T)`),
     * takes the box.
     */
    fun fit(value: Any?, parameter: Type, unboxedValueClass: Boolean = false): Any? {
        if (value == null) return null
        val raw = when (parameter) {
            is Class<*> -> parameter
            is ParameterizedType -> parameter.rawType as? Class<*> ?: return value
            else -> return value
        }
        // (Not raw.kotlin.javaObjectType: Kotlin's class references cost a fresh worker tens of ms to set up.)
        val boxed = if (raw.isPrimitive) java.lang.invoke.MethodType.methodType(raw).wrap().returnType() else raw
        if (boxed.isInstance(value)) {
            if (!unboxedValueClass || raw != Any::class.java) return value
            val unbox = UNBOX.get(value.javaClass) ?: return value
            return if (unbox.returnType == Any::class.java) unbox.invoke(value) else value
        }
        val unbox = UNBOX.get(value.javaClass) ?: return value
        return unbox.invoke(value)
    }

    /**
     * [value], returned by the JVM method, as the caller's type [type]: a value class the JVM returned bare is boxed.
     * With [declaredNullable] false, a null is a value class over a nullable type holding null (the JVM returns its
     * underlying value), and is boxed too.
     */
    fun boxed(value: Any?, type: Class<*>, declaredNullable: Boolean = true): Any? {
        if (value == null && declaredNullable) return null
        if (value != null && type.isInstance(value)) return value
        val box = BOX.get(type) ?: return value
        return box.invoke(null, value)
    }

    /** A value class's `unbox-impl()`, or null for other classes. */
    private val UNBOX = object : ClassValue<Method?>() {
        override fun computeValue(type: Class<*>): Method? = valueClassMethod(type) {
            type.getMethod("unbox-impl")
        }
    }

    /** A value class's static `box-impl(underlying)`, or null for other classes. */
    private val BOX = object : ClassValue<Method?>() {
        override fun computeValue(type: Class<*>): Method? = valueClassMethod(type) {
            type.declaredMethods.singleOrNull { it.name == "box-impl" && it.parameterCount == 1 }
        }
    }

    private inline fun valueClassMethod(type: Class<*>, find: () -> Method?): Method? {
        if (!type.isAnnotationPresent(JvmInline::class.java)) return null
        return try {
            find()?.also { it.isAccessible = true }
        } catch (e: ReflectiveOperationException) {
            null
        } catch (e: RuntimeException) {
            null
        }
    }
}
