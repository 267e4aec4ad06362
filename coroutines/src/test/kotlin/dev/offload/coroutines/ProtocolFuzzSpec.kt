package dev.offload.coroutines

import dev.offload.internal.protocol.FrameBuffer
import dev.offload.internal.protocol.FrameReader
import dev.offload.internal.protocol.FrameWriter
import dev.offload.internal.protocol.Protocol
import dev.offload.internal.protocol.ProtocolException
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.property.Arb
import io.kotest.property.PropTestConfig
import io.kotest.property.arbitrary.byte
import io.kotest.property.arbitrary.byteArray
import io.kotest.property.arbitrary.choice
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.arbitrary.long
import io.kotest.property.arbitrary.map
import io.kotest.property.arbitrary.of
import io.kotest.property.checkAll
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import java.lang.management.ManagementFactory

private const val MAX_FRAME = 4096
private val TYPES = listOf(Protocol.CONFIGURE, Protocol.CALL, Protocol.READY, Protocol.RESULT, Protocol.ERROR,
    Protocol.OUTPUT, Protocol.BROKEN)
private val threadBean = ManagementFactory.getThreadMXBean() as com.sun.management.ThreadMXBean

/** A valid stream: handshake, then frames. */
private val validStreams = Arb.list(
    Arb.byteArray(Arb.int(0..300), Arb.byte()).map { payload -> payload },
    0..6,
).map { payloads ->
    val out = ByteArrayOutputStream()
    val writer = FrameWriter(out)
    writer.writeHandshake(4242)
    payloads.forEachIndexed { i, p ->
        writer.write(TYPES[i % TYPES.size], i % 4, i.toLong(), FrameBuffer.of(p, 0, p.size, MAX_FRAME))
    }
    out.toByteArray()
}

/** Mutations a pipe or a misbehaving worker could produce. */
private fun mutate(bytes: ByteArray, how: Int, at: Int, value: Byte, junk: ByteArray): ByteArray {
    if (bytes.isEmpty()) return junk
    val i = Math.floorMod(at, bytes.size)
    return when (how) {
        0 -> bytes.copyOf().also { it[i] = value } // a flipped byte
        1 -> bytes.copyOf(i) // truncated anywhere
        2 -> bytes.copyOfRange(0, i) + junk + bytes.copyOfRange(i, bytes.size) // raw bytes written in between
        3 -> bytes.copyOf().also { for (k in i until minOf(i + 4, it.size)) it[k] = 0x7f } // a huge length
        else -> junk + bytes // noise before the handshake
    }
}

/** Reads the whole stream; returns normally at EOF or with a ProtocolException, or fails the property. */
private fun readAll(bytes: ByteArray): Int {
    val reader = FrameReader(ByteArrayInputStream(bytes), MAX_FRAME)
    var frames = 0
    try {
        reader.readHandshake()
        while (true) {
            val f = reader.read() ?: break
            f.length shouldBeLessThanOrEqual MAX_FRAME
            frames++
        }
    } catch (expected: ProtocolException) {
        // the only failure allowed
    }
    return frames
}

/** Bytes this thread allocates while running [block]. */
private inline fun allocatedBy(block: () -> Unit): Long {
    val id = Thread.currentThread().id
    val before = threadBean.getThreadAllocatedBytes(id)
    block()
    return threadBean.getThreadAllocatedBytes(id) - before
}

@OptIn(io.kotest.common.ExperimentalKotest::class) // PropTestConfig(seed = ...)
class ProtocolFuzzSpec : FunSpec({
    val config = PropTestConfig(seed = 20261122)

    beforeSpec { repeat(50) { readAll(ByteArray(100) { it.toByte() }) } } // class loading is not the reader's

    test("valid streams read back frame by frame") {
        checkAll(config, validStreams) { bytes -> readAll(bytes) }
    }

    test("mutated streams give frames or a ProtocolException, never another exception or a big allocation") {
        checkAll(
            2_000,
            validStreams,
            Arb.int(0..4),
            Arb.int(),
            Arb.byte(),
            Arb.byteArray(Arb.int(0..64), Arb.byte()),
        ) { bytes, how, at, value, junk ->
            val mutated = mutate(bytes, how, at, value, junk)
            // Streams claim lengths up to 2 GiB; the reader allocates at most its 64 KiB handshake window, payloads
            // of at most MAX_FRAME, and small change: far below 1 MiB per stream.
            allocatedBy { readAll(mutated) } shouldBeLessThan (1L shl 20)
        }
    }

    test("random bytes, with or without the magic, never break the reader") {
        val withMagic = Arb.choice(
            Arb.byteArray(Arb.int(0..2048), Arb.byte()),
            Arb.byteArray(Arb.int(0..512), Arb.byte()).map { Protocol.MAGIC + byteArrayOf(0, 1) + it },
            Arb.of(Protocol.MAGIC.copyOf(5), ByteArray(0)),
        )
        checkAll(2_000, withMagic, Arb.long()) { bytes, _ -> readAll(bytes) }
    }
})
