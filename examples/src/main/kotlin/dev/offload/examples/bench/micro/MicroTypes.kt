package dev.offload.examples.bench.micro

import kotlinx.serialization.KSerializer
import kotlinx.serialization.Serializable
import kotlinx.serialization.builtins.serializer

// Payload types and serializers for the codec microbenchmarks (CodecBench), which are Java: JMH generates its code
// from Java sources.

/** A small structured value: what a typical call might pass, as a Kotlin user writes it. */
@Serializable
data class KPoint(val x: Double, val y: Double, val label: String)

/** The serializers a Kotlin `runSync` picks for these types, as the codec takes them. */
object MicroSerializers {
    @Suppress("UNCHECKED_CAST")
    @JvmStatic
    fun intSerializer(): KSerializer<Any?> = Int.serializer() as KSerializer<Any?>

    @Suppress("UNCHECKED_CAST")
    @JvmStatic
    fun pointSerializer(): KSerializer<Any?> = KPoint.serializer() as KSerializer<Any?>

    @JvmStatic
    fun point(i: Int): Any = KPoint(i.toDouble(), i * 0.5, "p$i")
}
