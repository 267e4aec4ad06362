@file:OptIn(kotlinx.coroutines.ExperimentalCoroutinesApi::class)

package dev.offload.coroutines

import dev.offload.RemoteTaskException
import dev.offload.coroutines.testing.OffloadKotestExtension
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.launch
import kotlin.coroutines.coroutineContext
import kotlinx.coroutines.test.runTest
import kotlinx.coroutines.test.currentTime
import kotlinx.coroutines.withTimeoutOrNull
import kotlin.time.Duration.Companion.seconds

class RunSyncSpec : FunSpec({
    extension(OffloadKotestExtension())

    test("runs a top-level function in another JVM") {
        runSync(::fib, 25) shouldBe 75025L
        runSync(::pid) shouldNotBe ProcessHandle.current().pid()
        runSync(::greeting) shouldBe "hi"
        runSync(::sum3, 1, 2, 3) shouldBe 6
        runSync(::nothing) shouldBe Unit
    }

    test("statistics count a call by the time runSync returns, also where the coroutine resumes at once") {
        kotlinx.coroutines.withContext(kotlinx.coroutines.Dispatchers.Unconfined) { // as in a suspend fun main
            val ctx = currentWorkerContext()
            val before = ctx.statistics().callsCompleted()
            repeat(50) { i ->
                runSync(::fib, 5)
                ctx.statistics().callsCompleted() shouldBe before + i + 1
            }
        }
    }

    test("a @Serializable data class argument and a List result round-trip") {
        val items = listOf(Item("a", 1.0), Item("b", 2.5))
        runSync(::heavier, items, 0.5) shouldBe listOf(Item("a", 1.5), Item("b", 3.0))
        runSync(::heavier, items, 0.5, format = PayloadFormat.Binary) shouldBe listOf(Item("a", 1.5), Item("b", 3.0))
    }

    test("a 16 MiB ByteArray round-trips on the binary path") {
        val bytes = ByteArray(16 shl 20) { (it * 31).toByte() }
        val back = runSync(::reversedBytes, bytes, format = PayloadFormat.Binary)
        back.size shouldBe bytes.size
        back.contentEquals(bytes.reversedArray()) shouldBe true
    }

    test("large ByteArrays on the binary path arrive whole: nullable, beside another value, or inside a list") {
        val bytes = ByteArray(1 shl 20) { (it * 7).toByte() }
        runSync(::maybeBytes, bytes, format = PayloadFormat.Binary)!!.contentEquals(bytes) shouldBe true
        runSync(::maybeBytes, null, format = PayloadFormat.Binary) shouldBe null
        runSync(::joinedBytes, bytes, bytes.size, format = PayloadFormat.Binary).size shouldBe bytes.size + 4
        runSync(::listOfBytes, listOf(bytes, bytes), format = PayloadFormat.Binary) shouldBe 2 * bytes.size
    }

    test("object, @JvmStatic, companion, value-class, @JvmName and unbound member references work") {
        runSync(Calculator::triple, 5) shouldBe 15
        runSync(Calculator::quadruple, 5) shouldBe 20
        runSync(Holder.Companion::make, 1) shouldBe 101
        runSync(::doubled, Meters(21)) shouldBe Meters(42)
        runSync(::originalName, 1) shouldBe 2
        runSync(Holder::plus, Holder(40), 2) shouldBe 42
    }

    test("an exception thrown in the worker is catchable as its own type") {
        val e = shouldThrow<IllegalArgumentException> { runSync(::failWith, "bad input") }
        e.message shouldBe "bad input"
        try {
            runSync(::failWith, "again")
        } catch (e: IllegalArgumentException) {
            e.message shouldBe "again"
        }
    }

    test("a worker's exception shows the worker's frames, the worker, then this coroutine's") {
        val e = shouldThrow<IllegalArgumentException> { runSync(::failWith, "bad input") }
        // With coroutine debugging on (as under -ea), kotlinx.coroutines throws a copy with this coroutine's frames,
        // caused by the original; without it, the original, continued with them. Either way both sets show.
        val remote = generateSequence<Throwable>(e) { it.cause }.first { it.stackTrace.first().methodName == "failWith" }
        val boundary = remote.stackTrace.indexOfFirst { it.className == "_OFFLOAD" }
        (boundary > 0) shouldBe true
        remote.stackTrace[boundary].fileName!!.startsWith("worker pid ") shouldBe true
        e.stackTrace.any { it.className.startsWith("dev.offload.coroutines.RunSyncSpec") } shouldBe true
    }

    test("a coroutine without a dispatcher that runs it elsewhere does not go on on a worker's reader thread") {
        // As in a suspend fun main: code after runSync on the reader thread could block it (a blocking call there
        // waits for that very thread). Unconfined resumes where the future completes, so that thread shows.
        kotlinx.coroutines.withContext(kotlinx.coroutines.Dispatchers.Unconfined) {
            runSync(::square, 3) shouldBe 9
            Thread.currentThread().name.startsWith("offload-worker-") shouldBe false
            runSync(::square, 4) shouldBe 16
            Thread.currentThread().name.startsWith("offload-worker-") shouldBe false
        }
    }

    test("a lambda is refused at the call site") {
        val x = 21
        val e = shouldThrow<IllegalArgumentException> { runSync({ y: Int -> x * y }, 2) }
        e.message shouldStartWith "cannot run a lambda in a worker"
        currentWorkerContext().statistics().idleWorkers() shouldBe 0
    }

    test("a reference bound to an ordinary object is refused") {
        val local = Holder(1)
        val e = shouldThrow<IllegalArgumentException> { runSync(local::plus, 2) }
        e.message shouldStartWith "cannot run a function reference bound to a dev.offload.coroutines.Holder"
        e.message shouldContain "unbound Holder::plus"
    }

    test("a suspend function reference is refused") {
        // runSync(::suspending, 1) does not compile (a deprecated-as-error overload says why); smuggled past the
        // compiler, the reference is refused at run time.
        @Suppress("UNCHECKED_CAST")
        val smuggled = (::suspending as Any) as (Int, String) -> Int
        val e = shouldThrow<IllegalArgumentException> { runSync(smuggled, 1, "continuation") }
        e.message shouldStartWith "cannot run the suspend function"
    }

    test("a function Kotlin inlines, with no method of its own, is refused for what it is") {
        val e = shouldThrow<IllegalArgumentException> { runSync(String::uppercase, "abc") }
        e.message shouldContain "no method uppercase"
        e.message shouldContain "Wrap it in a top-level function"
    }

    test("a CancellationException the function throws arrives as a RemoteTaskException, not as a cancellation") {
        val e = shouldThrow<RemoteTaskException> { runSync(::throwCancellation, 2) }
        e.remoteClassName() shouldBe "java.util.concurrent.CancellationException"
        e.remoteMessage() shouldBe "mine 2"
        // In a launched job it is a failure the handler sees, not a silent cancellation.
        val seen = kotlinx.coroutines.CompletableDeferred<Throwable>()
        val handler = kotlinx.coroutines.CoroutineExceptionHandler { _, t -> seen.complete(t) }
        kotlinx.coroutines.supervisorScope { launch(handler) { runSync(::throwCancellation, 3) }.join() }
        seen.await().shouldBeInstanceOf<RemoteTaskException>().remoteMessage() shouldBe "mine 3"
        runSync(::square, 4) shouldBe 16 // the worker that threw is still fine
    }

    test("a local function is refused") {
        fun local(x: Int): Int = x + 1
        val e = shouldThrow<IllegalArgumentException> { runSync(::local, 1) }
        e.message shouldStartWith "cannot run the local function local"
        e.message!! shouldContain "in dev.offload.coroutines.RunSyncSpec" // not Kotlin's placeholder owner
    }

    test("a reference Kotlin adapts to the call (a default argument left out) is refused for what it is") {
        val e = shouldThrow<IllegalArgumentException> { runSync(::withDefault, 1) }
        e.message shouldStartWith "cannot run this reference in a worker"
        e.message shouldContain "default arguments left out"
        runSync(::withDefault, 1, 2) shouldBe 3
    }

    test("an argument type without a serializer is refused before any worker, and leaves none behind") {
        val e = shouldThrow<IllegalArgumentException> { runSync(::takesNoSerializer, NoSerializer(1)) }
        e.message shouldBe "no serializer for the argument 1 type dev.offload.coroutines.NoSerializer: annotate" +
            " the class with @Serializable (kotlinx-serialization), or pass a type that has one. Serializer for class" +
            " 'NoSerializer' is not found.\nPlease ensure that class is marked as '@Serializable' and that the" +
            " serialization compiler plugin is applied.\n"
        currentWorkerContext().statistics().idleWorkers() shouldBe 0
        // The worker started early for this call (a context's first) exits once it is up.
        io.kotest.assertions.nondeterministic.eventually(kotlin.time.Duration.parse("20s")) {
            dev.offload.coroutines.testing.WorkerLeaks.liveWorkerPids() shouldBe emptySet()
        }
    }

    test("works under runTest: the worker runs in real time") {
        // runTest starts a fresh coroutine context: hand it this test's worker scope.
        runTest(coroutineContext[WorkerContextElement]!!) {
            runSync(::fib, 20) shouldBe 6765L
        }
    }

    test("under runTest, a call cancelled by a virtual timeout costs no more virtual time than the timeout") {
        runTest(coroutineContext[WorkerContextElement]!!) {
            runSync(::fib, 5)
            val r = withTimeoutOrNull(1.seconds) { runSync(::sleepThenReturn, 60_000L) }
            r shouldBe null
            currentTime shouldBe 1_000L
        }
    }

    test("a Kotlin object's member given to WorkerConfig.init is refused with what to pass instead") {
        val e = shouldThrow<IllegalArgumentException> { dev.offload.WorkerConfig.builder().init(SetUps::load) }
        e.message!! shouldContain "member of the Kotlin object dev.offload.coroutines.SetUps"
        e.message!! shouldContain "Pass a top-level function instead"
    }

    test("a non-rebuildable exception arrives as RemoteTaskException") {
        shouldThrow<RemoteTaskException> { runSync(::throwHidden) }.remoteClassName() shouldBe
            "dev.offload.coroutines.HiddenException"
    }
})

/** Not rebuildable in the caller: no (String) or (String, Throwable) constructor. */
class HiddenException(code: Int) : RuntimeException("code $code")

fun throwHidden(): Int = throw HiddenException(7)
