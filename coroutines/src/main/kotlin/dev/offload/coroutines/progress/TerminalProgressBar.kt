package dev.offload.coroutines.progress

import dev.offload.MapProgress
import me.tongfei.progressbar.DelegatingProgressBarConsumer
import me.tongfei.progressbar.ProgressBar
import me.tongfei.progressbar.ProgressBarBuilder
import me.tongfei.progressbar.ProgressBarStyle

/**
 * A ready-made terminal progress bar for maps, drawn by the `me.tongfei:progressbar` library (add it to your
 * dependencies; Offload declares it optional). With a known total it shows the percentage and the ETA; without one,
 * the count and the rate. On anything but a terminal it stays quiet. At a terminal without that library, [create]
 * throws an `IllegalStateException` saying what to add.
 *
 * ```kotlin
 * inputs.mapInWorkers(::render, progress = TerminalProgressBar.create("render"))
 * ```
 * ```java
 * ctx.mapAll(Fns::render, inputs, MapOptions.builder().progress(TerminalProgressBar.create("render")).build());
 * ```
 *
 * One instance per map. The library redraws on its own thread every 100 ms; the final snapshot closes the bar.
 */
public class TerminalProgressBar private constructor(
    private val taskName: String,
    private val lines: ((String) -> Unit)?,
) : MapProgress.Listener {
    private var bar: ProgressBar? = null

    @Synchronized
    override fun onProgress(snapshot: MapProgress) {
        val b = bar ?: open(snapshot).also { bar = it }
        b.stepTo(snapshot.completed())
        if (snapshot.failed() > 0) {
            b.extraMessage = " ${snapshot.failed()} failed" // the bar puts it right after the speed
        }
        if (snapshot.isFinal) {
            if (!snapshot.total().isPresent) b.maxHint(snapshot.completed()) // the count is known now: 100 %
            b.close()
        }
    }

    private fun open(first: MapProgress): ProgressBar {
        val builder = ProgressBarBuilder()
            .setTaskName(taskName)
            .setInitialMax(if (first.total().isPresent) first.total().asLong else -1L)
            .setStyle(ProgressBarStyle.ASCII)
            .setUpdateIntervalMillis(REFRESH_MILLIS)
            .showSpeed()
        if (lines != null) {
            builder.setConsumer(DelegatingProgressBarConsumer(lines, WIDTH))
        }
        return builder.build()
    }

    private object Silent : MapProgress.Listener {
        override fun onProgress(snapshot: MapProgress) {
            // no terminal: nothing to draw
        }
    }

    public companion object {
        private const val REFRESH_MILLIS = 100
        private const val WIDTH = 100

        /** A bar on the terminal, or a listener that does nothing when there is no terminal. */
        @JvmStatic
        @JvmOverloads
        public fun create(taskName: String = "offload"): MapProgress.Listener {
            if (System.console() == null) return Silent
            requireLibrary()
            return TerminalProgressBar(taskName, null)
        }

        /** A bar whose rendered lines go to [lines] instead of the terminal (for logs, and for testing the look). */
        @JvmStatic
        public fun rendering(taskName: String, lines: (String) -> Unit): MapProgress.Listener {
            requireLibrary()
            return TerminalProgressBar(taskName, lines)
        }

        private fun requireLibrary() = dev.offload.coroutines.internal.requireOptionalLibrary(
            "me.tongfei.progressbar.ProgressBarBuilder", "TerminalProgressBar", "me.tongfei:progressbar:0.10.2",
            TerminalProgressBar::class.java.classLoader,
        )
    }
}
