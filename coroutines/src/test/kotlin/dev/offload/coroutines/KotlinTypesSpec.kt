package dev.offload.coroutines

import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.asFlow
import kotlinx.coroutines.flow.toList

/**
 * Kotlin types the JVM signature of a function does not show: erased nullability of type arguments, value classes
 * the JVM passes bare (`UInt`, `Duration`), a sealed class's subclass. The worker decodes and encodes with the
 * caller's serializers, so each travels as the caller wrote it.
 */
class KotlinTypesSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("Duration as an argument and as a result") {
        runSync(::twice, 1500.milliseconds) shouldBe 3.seconds
        runSync(::secondsOf, 2.seconds) shouldBe 2L
    }

    test("nulls inside lists, maps and pairs, in JSON and in CBOR") {
        runSync(::withNulls, 4) shouldBe listOf("s0", null, "s2", null)
        runSync(::withNulls, 3, format = PayloadFormat.Binary) shouldBe listOf("s0", null, "s2")
        runSync(::countNulls, mapOf("a" to listOf(1, null, 3), "b" to listOf(null))) shouldBe 2
        runSync(::countNulls, mapOf("a" to listOf(null, 2)), format = PayloadFormat.Binary) shouldBe 1
        runSync(::pairWithNull, 1 to null) shouldBe "1/null"
    }

    test("unsigned numbers over the whole range") {
        runSync(::nextUInt, UInt.MAX_VALUE) shouldBe UInt.MAX_VALUE - 1u
        runSync(::bigULong, 1) shouldBe ULong.MAX_VALUE - 1u
        runSync(::nextUInt, 1u, format = PayloadFormat.Binary) shouldBe 0u
    }

    test("a sealed class's subclass where the parameter is the sealed class") {
        runSync(::area, Shape.Circle(2.0)) shouldBe 12.0
        runSync<Shape, Double>(::area, Shape.Square(3.0)) shouldBe 9.0
    }

    test("a parameter of type Any takes what the caller sent") {
        runSync(::describeAny, 42) shouldBe "Integer:42"
        runSync(::describeAny, "x") shouldBe "String:x"
    }

    test("value classes, bare and nullable, still travel") {
        runSync(::shout, Label("hi")) shouldBe Label("HI")
        runSync(::doubled, Meters(4)) shouldBe Meters(8)
        runSync(::optionalMeters, Meters(1)) shouldBe Meters(2)
        runSync(::optionalMeters, null) shouldBe null
    }

    test("a constructor reference builds its object in the worker") {
        runSync(::Item, "apple", 0.2) shouldBe Item("apple", 0.2)
    }

    test("standard library functions of multifile facades run (they are inherited from their part classes)") {
        runSync(Iterable<Int>::sum, listOf(1, 2, 3)) shouldBe 6
        runSync(String::trimIndent, "  a\n  b") shouldBe "a\nb"
        runSync(CharSequence::repeat, "ab", 3) shouldBe "ababab"
    }

    test("a generic value class reaches the function unboxed, a generic function's parameter boxed") {
        runSync(::describeTagged, Tagged("abc")) shouldBe "value is 'abc'"
        runSync(::lengthOfTagged, Tagged("abcd")) shouldBe 4
        runSync<Tagged<String>, String>(::describeGeneric, Tagged("x")) shouldBe "generic Tagged(value=x)"
        val maybe: Tagged<String>? = Tagged("m")
        runSync(::describeNullableTagged, maybe) shouldBe "nullable m"
        runSync(::describeNullableTagged, null) shouldBe "nullable none"
    }

    test("a value class given to a parameter of an interface it implements, or of Any, arrives boxed") {
        runSync(::sizeOf, Box("three")) shouldBe 5
        runSync(::kindOf, 5u) shouldBe "UInt"
        runSync(::kindOf, Tagged("t")) shouldBe "Tagged"
    }

    test("a value class over a nullable type travels holding null, both ways") {
        runSync(::optionalId, null) shouldBe OptionalId(null)
        runSync(::optionalId, "a") shouldBe OptionalId("a")
        runSync(::idOrEmpty, OptionalId(null)) shouldBe "<none>"
        runSync(::idOrEmpty, OptionalId("b")) shouldBe "b"
    }

    test("the map layer uses the caller's types too") {
        listOf(UInt.MAX_VALUE, 5u).mapInWorkers(::nextUInt) shouldBe listOf(UInt.MAX_VALUE - 1u, 4u)
        listOf(1.seconds, 2.seconds).asFlow().mapInWorkers(::twice).toList() shouldBe listOf(2.seconds, 4.seconds)
    }
})
