package dev.offload.internal.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * Drains a worker's stderr without pause, so a chatty or crashing JVM can never block on a full pipe: forwards
 * every byte to the parent's current {@code System.err} and keeps the tail for reports. With an {@code unshown}
 * filter it works line by line and keeps the lines the filter takes out of {@code System.err} (in the tail only).
 */
final class StderrPump implements Runnable {
    private final InputStream in;
    private final OutputTail tail;
    private final Predicate<String> unshown;
    /** The line begun and not yet ended, when filtering. */
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    StderrPump(InputStream in, OutputTail tail, Predicate<String> unshown) {
        this.in = in;
        this.tail = tail;
        this.unshown = unshown;
    }

    @Override
    public void run() {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                tail.append(buf, 0, n);
                if (unshown == null) {
                    PrintStream err = System.err;
                    err.write(buf, 0, n);
                    err.flush();
                } else {
                    lines(buf, n);
                }
            }
        } catch (IOException e) {
            // the pipe closed under us: the worker is gone
        }
        if (unshown != null && line.size() > 0) {
            show(line.toByteArray());
        }
    }

    private void lines(byte[] buf, int n) {
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                line.write(buf, start, i + 1 - start);
                show(line.toByteArray());
                line.reset();
                start = i + 1;
            }
        }
        line.write(buf, start, n - start);
    }

    private void show(byte[] l) {
        if (unshown.test(new String(l, StandardCharsets.UTF_8).strip())) {
            return;
        }
        PrintStream err = System.err;
        err.write(l, 0, l.length);
        err.flush();
    }
}
