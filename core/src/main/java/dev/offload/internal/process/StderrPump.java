package dev.offload.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/**
 * Drains a worker's stderr without pause, so a chatty or crashing JVM can never block on a full pipe: forwards
 * every byte to the parent's current {@code System.err} and keeps the tail for reports.
 */
final class StderrPump implements Runnable {
    private final InputStream in;
    private final OutputTail tail;

    StderrPump(InputStream in, OutputTail tail) {
        this.in = in;
        this.tail = tail;
    }

    @Override
    public void run() {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                tail.append(buf, 0, n);
                PrintStream err = System.err;
                err.write(buf, 0, n);
                err.flush();
            }
        } catch (IOException e) {
            // the pipe closed under us: the worker is gone
        }
    }
}
