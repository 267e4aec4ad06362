package dev.offload.coroutines

import dev.offload.coroutines.internal.KotlinFunctions
import dev.offload.coroutines.internal.KotlinxCodec
import dev.offload.coroutines.internal.SlotFunctions
import kotlin.reflect.KType
import kotlin.reflect.typeOf

/**
 * A map task with state per worker, made by [statefulTask]: `init` runs once in each worker (its slot), `apply` runs
 * per element with that worker's state, `close` runs when the map ends or the worker exits. Use it with
 * [mapInWorkers] and [mapInWorkersCatching] for what is too expensive to set up per element (a model, a native
 * library, a GPU).
 *
 * A map has one slot per unit of concurrency (one per slot argument, if given), numbered from 0. Each slot runs one
 * element at a time in its own worker, pinned to it for the whole map, so `init` runs once per worker and a state is
 * never shared between slots, with every backend (on threads a slot is a thread; inline, the collector is slot 0).
 * If a slot's worker dies (a crash, a task timeout, a cancelled element), the element fails and the slot's next
 * element starts a replacement worker, where `init` runs again with the same slot number and argument. The state
 * never leaves its worker; slot arguments, elements and results go through kotlinx-serialization like any call's.
 *
 * Immutable.
 */
public class StatefulMapTask<in T, out R> @PublishedApi internal constructor(
    private val init: Any,
    private val initTakesArgument: Boolean,
    private val apply: Any,
    private val close: Any?,
    internal val slotArguments: List<Any?>?,
    private val argumentType: KType?,
    private val itemType: KType,
    private val resultType: KType,
) {
    /** Refuses functions a worker cannot find by name, before any input is read. */
    internal fun check() {
        KotlinFunctions.of(init, if (initTakesArgument) 2 else 1)
        KotlinFunctions.of(apply, 2)
        close?.let { KotlinFunctions.of(it, 1) }
    }

    internal fun addressed(format: PayloadFormat): SlotFunctions {
        val types = listOfNotNull(argumentType, itemType)
        val codec = KotlinxCodec.forCall(
            format, types, if (argumentType != null) listOf("slot argument", "item") else listOf("item"), resultType,
        )
        return SlotFunctions(
            KotlinFunctions.of(init, if (initTakesArgument) 2 else 1), initTakesArgument, KotlinFunctions.of(apply, 2),
            close?.let { KotlinFunctions.of(it, 1) }, apply.javaClass.classLoader, codec,
        )
    }

    internal fun slotArgument(slot: Int): Any? = slotArguments?.get(slot)

    @Suppress("UNCHECKED_CAST")
    internal fun initLocally(slot: Int): Any? =
        if (initTakesArgument) (init as (Int, Any?) -> Any?)(slot, slotArgument(slot)) else (init as (Int) -> Any?)(slot)

    @Suppress("UNCHECKED_CAST")
    internal fun applyLocally(state: Any?, item: Any?): Any? = (apply as (Any?, Any?) -> Any?)(state, item)

    @Suppress("UNCHECKED_CAST")
    internal fun closeLocally(state: Any?) {
        (close as ((Any?) -> Unit)?)?.invoke(state)
    }

    override fun toString(): String = "StatefulMapTask(init=$init, apply=$apply, close=$close, " +
        "slots=${slotArguments?.size ?: "by concurrency"})"
}

/**
 * A stateful task whose state is created by `init(slot)`, with slots numbered from 0 to concurrency - 1.
 *
 * ```kotlin
 * val task = statefulTask(::openTokenizer, ::tokenize, close = ::closeTokenizer)
 * val tokens = documents.mapInWorkers(task, concurrency = 2)
 * ```
 *
 * All three must be function references a worker can find by name (top-level, object or companion members).
 */
public inline fun <S, reified T, reified R> statefulTask(
    noinline init: (slot: Int) -> S,
    noinline apply: (state: S, item: T) -> R,
    noinline close: ((state: S) -> Unit)? = null,
): StatefulMapTask<T, R> = StatefulMapTask(init, false, apply, close, null, null, typeOf<T>(), typeOf<R>())

/**
 * A stateful task with one slot per element of [slotArguments]: slot `i`'s state is created by
 * `init(i, slotArguments[i])`, in its first worker and again in any replacement.
 *
 * ```kotlin
 * val task = statefulTask(listOf("cuda:0", "cuda:1"), ::loadModel, ::predict, close = ::unloadModel)
 * val labels = images.mapInWorkers(task)   // two slots, one per device
 * ```
 *
 * @throws IllegalArgumentException if [slotArguments] is empty
 */
public inline fun <reified A, S, reified T, reified R> statefulTask(
    slotArguments: List<A>,
    noinline init: (slot: Int, argument: A) -> S,
    noinline apply: (state: S, item: T) -> R,
    noinline close: ((state: S) -> Unit)? = null,
): StatefulMapTask<T, R> {
    require(slotArguments.isNotEmpty()) {
        "slotArguments is empty: give one argument per slot, or use statefulTask(init, apply) for slots without arguments"
    }
    return StatefulMapTask(init, true, apply, close, slotArguments.toList(), typeOf<A>(), typeOf<T>(), typeOf<R>())
}
