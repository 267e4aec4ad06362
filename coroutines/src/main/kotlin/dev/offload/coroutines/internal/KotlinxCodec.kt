package dev.offload.coroutines.internal

import dev.offload.Codec
import dev.offload.coroutines.PayloadFormat
import dev.offload.internal.protocol.FrameBuffer
import dev.offload.internal.protocol.PayloadInput
import java.io.DataInputStream
import java.io.DataOutputStream
import java.io.InputStream
import java.io.OutputStream
import java.lang.reflect.Type
import kotlin.reflect.KType
import kotlinx.serialization.ExperimentalSerializationApi
import kotlinx.serialization.KSerializer
import kotlinx.serialization.builtins.nullable
import kotlinx.serialization.builtins.serializer
import kotlinx.serialization.cbor.Cbor
import kotlinx.serialization.json.Json
import kotlinx.serialization.serializer

/**
 * kotlinx-serialization as an Offload [Codec]. In the parent an instance carries the serializers chosen from the
 * call's reified types, and describes those types to the worker ([workerClassName], see [TypeDescriptors]); the
 * worker's instance rebuilds the same serializers from that description, so both sides agree on every type the
 * JVM signature cannot tell (nullable type arguments, unsigned numbers, `Duration`, a sealed class's subclass). The
 * no-argument instance, for a caller that sends no types, resolves serializers from the target method's generic
 * signature. Each value travels as its own length-prefixed block.
 */
internal abstract class KotlinxCodec(
    private val argumentSerializers: List<KSerializer<Any?>>?,
    private val resultSerializer: KSerializer<Any?>?,
    /** In the parent: the call's types for the worker ([TypeDescriptors.describe]); null in a worker. */
    private val typeDescription: String? = null,
    /** In a worker built from the caller's types: the result's class, to box a value class the JVM returns bare. */
    private val resultClass: Class<*>? = null,
) : Codec, dev.offload.internal.codec.TargetAware {
    /** Built once: every call of these types sends it. */
    private val workerName = if (typeDescription == null) javaClass.name else javaClass.name + "\n" + typeDescription

    override fun workerClassName(): String = workerName

    protected abstract fun encode(serializer: KSerializer<Any?>, value: Any?): ByteArray

    protected abstract fun decode(serializer: KSerializer<Any?>, bytes: ByteArray): Any?

    /**
     * Whether a large ByteArray travels as raw bytes (see [writeValue]) rather than encoded: for a binary format,
     * whose encoding of it would be the same bytes behind a short header.
     */
    protected open val rawByteArrays: Boolean get() = false

    override fun writeArguments(arguments: Array<Any?>, out: OutputStream) {
        val serializers = checkNotNull(argumentSerializers) { "a worker-side codec cannot write arguments" }
        val data = DataOutputStream(out)
        data.writeInt(arguments.size)
        for (i in arguments.indices) {
            try {
                writeValue(serializers[i], arguments[i], data, out)
            } catch (e: java.io.IOException) {
                throw e
            } catch (e: Exception) {
                throw IllegalArgumentException("argument ${i + 1} (${arguments[i]?.javaClass?.name}): ${e.message}", e)
            }
        }
        data.flush()
    }

    override fun readArguments(parameterTypes: Array<Type>, input: InputStream): Array<Any?> =
        readArguments(parameterTypes, input, "")

    override fun readArguments(parameterTypes: Array<Type>, input: InputStream, jvmName: String): Array<Any?> {
        // Kotlin mangles the name of a function that takes a value class (unboxed): "describe-dH1tDew".
        val mangled = jvmName.contains('-')
        val data = DataInputStream(input)
        val n = data.readInt()
        require(n == parameterTypes.size) { "got $n arguments for a function of ${parameterTypes.size} parameters" }
        val callers = argumentSerializers?.takeIf { it.size == n }
        return Array(n) { i ->
            if (callers != null) {
                TypeDescriptors.fit(readValue(callers[i], data, input), parameterTypes[i],
                    callers[i].descriptor.isInline && mangled)
            } else {
                readValue(serializerFor(parameterTypes[i]), data, input)
            }
        }
    }

    override fun writeResult(returnType: Type, result: Any?, out: OutputStream) {
        val data = DataOutputStream(out)
        val callers = resultSerializer
        when {
            returnType == Void.TYPE -> writeValue(UNIT, Unit, data, out)
            callers != null && resultClass != null ->
                writeValue(callers, TypeDescriptors.boxed(result, resultClass, callers.descriptor.isNullable), data, out)
            else -> writeValue(serializerFor(returnType), result, data, out)
        }
        data.flush()
    }

    override fun readResult(input: InputStream): Any? {
        val serializer = checkNotNull(resultSerializer) { "a worker-side codec cannot read results" }
        return readValue(serializer, DataInputStream(input), input)
    }

    /**
     * One value as a block: its length, then its encoding. A large ByteArray under a binary format goes as [RAW], its
     * length and its bytes, which a [FrameBuffer] sends straight from the array and a [PayloadInput] hands over
     * without a copy.
     */
    private fun writeValue(serializer: KSerializer<Any?>, value: Any?, data: DataOutputStream, out: OutputStream) {
        if (rawByteArrays && value is ByteArray && value.size >= FrameBuffer.TAIL_MIN && isByteArray(serializer)) {
            data.writeInt(RAW)
            data.writeInt(value.size)
            if (out is FrameBuffer) out.writeLarge(value) else data.write(value) // DataOutputStream holds nothing back
            return
        }
        val bytes = encode(serializer, value)
        data.writeInt(bytes.size)
        data.write(bytes)
    }

    private fun readValue(serializer: KSerializer<Any?>, data: DataInputStream, input: InputStream): Any? {
        val n = data.readInt()
        if (n == RAW) {
            val size = data.readInt()
            require(size >= 0 && size <= data.available()) { "byte array of $size bytes does not fit in the payload" }
            return (input as? PayloadInput)?.takeTail(size) ?: ByteArray(size).also { data.readFully(it) }
        }
        require(n >= 0 && n <= data.available()) { "value of $n bytes does not fit in the payload" }
        return decode(serializer, ByteArray(n).also { data.readFully(it) })
    }

    private fun isByteArray(serializer: KSerializer<Any?>): Boolean =
        serializer.descriptor.serialName.removeSuffix("?") == BYTE_ARRAY

    companion object {
        @Suppress("UNCHECKED_CAST")
        private val UNIT = Unit.serializer() as KSerializer<Any?>

        /** The block length that marks a raw byte array. */
        private const val RAW = -2
        private val BYTE_ARRAY = kotlinx.serialization.builtins.ByteArraySerializer().descriptor.serialName

        /**
         * Serializers looked up by JVM type, kept: finding one from a [Type] takes microseconds (kotlinx caches
         * only its own lookups by KType), and a worker asks for the same few types on every call.
         */
        private val BY_TYPE = java.util.concurrent.ConcurrentHashMap<Type, KSerializer<Any?>>()

        /** The serializer for a JVM parameter or return type, nullable unless primitive. */
        @Suppress("UNCHECKED_CAST")
        fun serializerFor(type: Type): KSerializer<Any?> = BY_TYPE[type] ?: run {
            val s = (builtin(type) ?: serializer(type)) as KSerializer<Any>
            val found = (if (type is Class<*> && type.isPrimitive) s else s.nullable) as KSerializer<Any?>
            if (BY_TYPE.size < MAX_CACHED_TYPES) BY_TYPE[type] = found
            found
        }

        /**
         * The serializer of a common JVM type, taken directly: kotlinx's lookup by [Type] reflects its way there and
         * costs a fresh worker about 25 ms on its first call (measured with the class-data archive, 2026-11-22).
         */
        internal fun builtin(type: Type): KSerializer<*>? = when (type) {
            Int::class.javaPrimitiveType, Int::class.javaObjectType -> Int.serializer()
            Long::class.javaPrimitiveType, Long::class.javaObjectType -> Long.serializer()
            Double::class.javaPrimitiveType, Double::class.javaObjectType -> Double.serializer()
            Float::class.javaPrimitiveType, Float::class.javaObjectType -> Float.serializer()
            Boolean::class.javaPrimitiveType, Boolean::class.javaObjectType -> Boolean.serializer()
            Short::class.javaPrimitiveType, Short::class.javaObjectType -> Short.serializer()
            Byte::class.javaPrimitiveType, Byte::class.javaObjectType -> Byte.serializer()
            Char::class.javaPrimitiveType, Char::class.javaObjectType -> Char.serializer()
            String::class.java -> String.serializer()
            ByteArray::class.java -> kotlinx.serialization.builtins.ByteArraySerializer()
            IntArray::class.java -> kotlinx.serialization.builtins.IntArraySerializer()
            LongArray::class.java -> kotlinx.serialization.builtins.LongArraySerializer()
            DoubleArray::class.java -> kotlinx.serialization.builtins.DoubleArraySerializer()
            Unit::class.java -> Unit.serializer()
            else -> null
        }

        /** A bound on [BY_TYPE]: types are few in practice, but a worker must not grow without limit. */
        private const val MAX_CACHED_TYPES = 1024

        /**
         * The codec of a call with these argument and result types (reified at the call site), kept per types: the
         * serializer lookups and the description cost microseconds, and a program calls few signatures.
         *
         * @param roles what each argument is, for messages ("argument 1", "item")
         * @throws IllegalArgumentException naming the type that has no serializer
         */
        fun forCall(format: PayloadFormat, types: List<KType>, roles: List<String>, resultType: KType): KotlinxCodec {
            val key = CallTypes(format, types, resultType)
            CODECS[key]?.let { return it }
            val arguments = types.mapIndexed { i, t -> serializerOf(t, roles[i]) }
            val result = serializerOf(resultType, "result")
            val description = TypeDescriptors.describe(types, resultType)
            val codec = when (format) {
                PayloadFormat.Json -> KotlinxJsonCodec(arguments, result, description)
                PayloadFormat.Binary -> KotlinxCborCodec(arguments, result, description)
            }
            if (CODECS.size < MAX_CACHED_TYPES) CODECS[key] = codec
            return codec
        }

        private data class CallTypes(val format: PayloadFormat, val types: List<KType>, val result: KType)

        private val CODECS = java.util.concurrent.ConcurrentHashMap<CallTypes, KotlinxCodec>()
    }
}

/** JSON; the worker creates it with the no-argument constructor. */
internal class KotlinxJsonCodec(
    arguments: List<KSerializer<Any?>>?,
    result: KSerializer<Any?>?,
    description: String? = null,
    resultClass: Class<*>? = null,
) : KotlinxCodec(arguments, result, description, resultClass) {
    constructor() : this(null, null)

    /** The worker's instance for a caller that described its types. */
    constructor(description: String) : this(TypeDescriptors.rebuild(description))

    private constructor(types: TypeDescriptors.Rebuilt) : this(types.arguments, types.result, null, types.resultClass)

    override fun encode(serializer: KSerializer<Any?>, value: Any?): ByteArray =
        JSON.encodeToString(serializer, value).toByteArray(Charsets.UTF_8)

    override fun decode(serializer: KSerializer<Any?>, bytes: ByteArray): Any? =
        JSON.decodeFromString(serializer, bytes.toString(Charsets.UTF_8))

    private companion object {
        val JSON = Json { allowSpecialFloatingPointValues = true }
    }
}

/** CBOR with byte arrays as byte strings; the worker creates it with the no-argument constructor. */
@OptIn(ExperimentalSerializationApi::class) // Cbor is still experimental in kotlinx-serialization 1.11
internal class KotlinxCborCodec(
    arguments: List<KSerializer<Any?>>?,
    result: KSerializer<Any?>?,
    description: String? = null,
    resultClass: Class<*>? = null,
) : KotlinxCodec(arguments, result, description, resultClass) {
    constructor() : this(null, null)

    /** The worker's instance for a caller that described its types. */
    constructor(description: String) : this(TypeDescriptors.rebuild(description))

    private constructor(types: TypeDescriptors.Rebuilt) : this(types.arguments, types.result, null, types.resultClass)

    override fun encode(serializer: KSerializer<Any?>, value: Any?): ByteArray = CBOR.encodeToByteArray(serializer, value)

    override fun decode(serializer: KSerializer<Any?>, bytes: ByteArray): Any? = CBOR.decodeFromByteArray(serializer, bytes)

    override val rawByteArrays: Boolean get() = true

    private companion object {
        val CBOR = Cbor { alwaysUseByteString = true }
    }
}
