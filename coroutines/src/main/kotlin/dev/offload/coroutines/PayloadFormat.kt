package dev.offload.coroutines

/**
 * How [runSync] encodes arguments and results with kotlinx-serialization.
 *
 * [Json] is the default: readable and forgiving. [Binary] is CBOR, with every `ByteArray` as one byte string,
 * for big payloads: a 16 MiB `ByteArray` travels as 16 MiB, not as a JSON array of numbers.
 *
 * ```kotlin
 * val digest = runSync(::sha256, bytes, format = PayloadFormat.Binary)
 * withWorkerContext(config, format = PayloadFormat.Binary) { runSync(::sha256, bytes) }
 * ```
 */
public enum class PayloadFormat {
    /** kotlinx-serialization JSON. */
    Json,

    /** kotlinx-serialization CBOR; byte arrays as byte strings. */
    Binary,
}
