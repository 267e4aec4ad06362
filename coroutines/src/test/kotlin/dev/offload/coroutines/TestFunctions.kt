package dev.offload.coroutines

import kotlinx.serialization.Serializable

// Functions the specs run inside workers.

fun fib(n: Int): Long = if (n < 2) n.toLong() else fib(n - 1) + fib(n - 2)

@Serializable
data class Item(val name: String, val weight: Double)

fun heavier(items: List<Item>, by: Double): List<Item> = items.map { it.copy(weight = it.weight + by) }

fun reversedBytes(bytes: ByteArray): ByteArray = bytes.reversedArray()

fun maybeBytes(bytes: ByteArray?): ByteArray? = bytes

/** The array followed by [n] as four big-endian bytes: the array arrived whole and the Int after it too. */
fun joinedBytes(bytes: ByteArray, n: Int): ByteArray =
    bytes + byteArrayOf((n ushr 24).toByte(), (n ushr 16).toByte(), (n ushr 8).toByte(), n.toByte())

fun listOfBytes(arrays: List<ByteArray>): Int = arrays.sumOf { it.size }

fun pid(): Long = ProcessHandle.current().pid()

fun spinForever(): Int {
    var x = 1L
    while (x != 0L) {
        x = x * 6364136223846793005L + 1442695040888963407L or 1L
    }
    return x.toInt()
}

fun sleepThenReturn(millis: Long): Long {
    Thread.sleep(millis)
    return millis
}

/** Creates [marker], then sleeps: the spec knows the call is running in its worker. */
fun touchThenSleep(marker: String, millis: Long): Long {
    java.io.File(marker).createNewFile()
    Thread.sleep(millis)
    return millis
}

fun failWith(message: String): Int = throw IllegalArgumentException(message)

fun nothing() {
    // returns Unit
}

fun greeting(): String = "hi"

fun sum3(a: Int, b: Int, c: Int): Int = a + b + c

object Calculator {
    fun triple(x: Int): Int = 3 * x

    @JvmStatic
    fun quadruple(x: Int): Int = 4 * x
}

@Serializable
class Holder(val base: Int) {
    fun plus(x: Int): Int = base + x

    companion object {
        fun make(x: Int): Int = x + 100
    }
}

@JvmInline
@Serializable
value class Meters(val value: Int)

fun doubled(m: Meters): Meters = Meters(m.value * 2)

@JvmName("renamedOnTheJvm")
fun originalName(x: Int): Int = x + 1

@Suppress("RedundantSuspendModifier")
suspend fun suspending(x: Int): Int = x

class NoSerializer(val x: Int)

fun takesNoSerializer(n: NoSerializer): Int = n.x

/** Makes this worker exit with status 3 when it is shut down: an unclean shutdown. */
fun exitBadlyOnShutdown(): Long {
    Runtime.getRuntime().addShutdownHook(Thread { Runtime.getRuntime().halt(3) })
    return ProcessHandle.current().pid()
}

/** Writes this worker's pid to [pidFile], then sleeps: a spec can kill it from outside mid-call. */
fun pidThenSleep(pidFile: String, millis: Long): Long {
    val tmp = java.io.File("$pidFile.tmp")
    tmp.writeText(ProcessHandle.current().pid().toString())
    tmp.renameTo(java.io.File(pidFile))
    Thread.sleep(millis)
    return millis
}

fun square(x: Int): Int = x * x

/** This worker's pid, whatever the element. */
fun pidOf(@Suppress("UNUSED_PARAMETER") x: Int): Long = ProcessHandle.current().pid()

fun failFor(x: Int): Int = throw IllegalStateException("item $x")

fun squareEven(x: Int): Int = if (x % 2 != 0) throw IllegalArgumentException("odd $x") else x * x

fun hangIfNegative(x: Int): Int {
    if (x < 0) Thread.sleep(Long.MAX_VALUE)
    return x
}

fun exitOnSeven(x: Int): Int {
    if (x == 7) System.exit(7)
    return x
}

/** A path: write this worker's pid there and hang; anything else: return the pid. */
fun pidOrHang(arg: String): Long {
    if (arg.startsWith("/")) {
        java.io.File(arg).writeText(ProcessHandle.current().pid().toString())
        Thread.sleep(Long.MAX_VALUE)
    }
    return ProcessHandle.current().pid()
}

/** Inits of slot states in this JVM. */
val SLOT_INITS = java.util.concurrent.atomic.AtomicInteger()

class SlotState(val slot: Int, val argument: String) {
    val initsInThisJvm = SLOT_INITS.incrementAndGet()
    val thread: String = Thread.currentThread().name
    var items = 0
}

fun openSlot(slot: Int, argument: String): SlotState = SlotState(slot, argument)

fun openSlotWithoutArgument(slot: Int): SlotState = SlotState(slot, "none")

/** "slot|argument|pid|initsInThisJvm|thread|x*x"; -1 exits the worker. */
fun applySlot(state: SlotState, x: Int): String {
    if (x == -1) System.exit(5)
    state.items++
    return "${state.slot}|${state.argument}|${ProcessHandle.current().pid()}|${state.initsInThisJvm}|${state.thread}|${x * x}"
}

/** Appends "slot pid items" to the file the argument names, if it is a path. */
/** Fails for every slot: the map's end must throw the first, the rest suppressed, and free every slot. */
fun failingCloseSlot(state: SlotState): Unit = throw IllegalStateException("close of slot ${state.slot} failed")

fun closeSlot(state: SlotState) {
    if (state.argument.startsWith("/")) {
        java.io.File(state.argument).appendText("${state.slot} ${ProcessHandle.current().pid()} ${state.items}\n")
    }
}

// Kotlin types the JVM signature does not show (KotlinTypesSpec): the worker must use the caller's serializers.

fun twice(d: kotlin.time.Duration): kotlin.time.Duration = d * 2

fun secondsOf(d: kotlin.time.Duration): Long = d.inWholeSeconds

fun withNulls(n: Int): List<String?> = List(n) { if (it % 2 == 0) "s$it" else null }

fun countNulls(m: Map<String, List<Int?>>): Int = m.values.sumOf { l -> l.count { it == null } }

fun nextUInt(u: UInt): UInt = u - 1u

fun bigULong(n: Int): ULong = ULong.MAX_VALUE - n.toULong()

@Serializable
sealed class Shape {
    @Serializable
    data class Circle(val r: Double) : Shape()

    @Serializable
    data class Square(val side: Double) : Shape()
}

fun area(s: Shape): Double = when (s) {
    is Shape.Circle -> 3.0 * s.r * s.r
    is Shape.Square -> s.side * s.side
}

fun describeAny(a: Any): String = a.javaClass.simpleName + ":" + a

fun pairWithNull(p: Pair<Int, String?>): String = "${p.first}/${p.second}"

@Serializable
@JvmInline
value class Label(val text: String)

fun shout(l: Label): Label = Label(l.text.uppercase())

/** A generic value class: its underlying type erases to Object, so the box would fit the JVM parameter too. */
@Serializable
@JvmInline
value class Tagged<T>(val value: T)

fun describeTagged(t: Tagged<String>): String = "value is '${t.value}'"

fun lengthOfTagged(t: Tagged<String>): Int = t.value.length

/** A generic function: its parameter takes whatever comes, value classes boxed. */
fun <T> describeGeneric(x: T): String = "generic " + x

fun describeNullableTagged(t: Tagged<String>?): String = "nullable " + (t?.value ?: "none")

/** A value class that implements an interface, and functions that take the interface or Any. */
interface Sized {
    val size: Int
}

@Serializable
@JvmInline
value class Box(val text: String) : Sized {
    override val size: Int get() = text.length
}

fun sizeOf(s: Sized): Int = s.size

fun kindOf(x: Any): String = x.javaClass.simpleName

/** A value class over a nullable type. */
@Serializable
@JvmInline
value class OptionalId(val id: String?)

fun optionalId(id: String?): OptionalId = OptionalId(id)

fun idOrEmpty(o: OptionalId): String = o.id ?: "<none>"

fun optionalMeters(m: Meters?): Meters? = m?.let { Meters(it.value + 1) }
fun withDefault(a: Int, b: Int = 5): Int = a + b

/** Prints [text] on both streams between frames, then returns it. */
fun printBoth(text: String): String {
    println(text)
    System.err.println(text)
    return text
}

/** Prints, then waits up to 10 s for [marker] to exist: "done" if it came, "no marker" if not. */
fun printThenWait(marker: String): String {
    println("working")
    System.out.flush()
    val deadline = System.nanoTime() + 10_000_000_000L
    while (!java.io.File(marker).exists()) {
        if (System.nanoTime() > deadline) return "no marker"
        Thread.sleep(1)
    }
    return "done"
}

/**
 * Creates [mine], waits up to 30 s for [other] (created by a call running at the same time in another worker), then
 * sleeps [millis]; whether [other] appeared.
 */
fun meetThenSleep(mine: String, other: String, millis: Long): Boolean {
    java.io.File(mine).createNewFile()
    val deadline = System.nanoTime() + 30_000_000_000L
    while (!java.io.File(other).exists()) {
        if (System.nanoTime() > deadline) return false
        Thread.sleep(1)
    }
    Thread.sleep(millis)
    return true
}

/** Throws a CancellationException of its own: for a map, a failure of this item, not a cancellation of the map. */
fun throwCancellation(x: Int): Int = throw java.util.concurrent.CancellationException("mine $x")

/** Throws a TimeoutException of its own, which is not the map's time limit. */
fun throwTimeout(x: Int): Int = throw java.util.concurrent.TimeoutException("mine $x")

/** A Kotlin object with a set-up function: fine for runSync, but bound when given to a Java API such as init. */
object SetUps {
    fun load(): String = "loaded"
}

/** Sleeps 300 ms (0 for a negative input) and returns how long it slept. */
fun sleepThenReturnInt(x: Int): Int {
    if (x < 0) return 0
    Thread.sleep(300)
    return 300
}
