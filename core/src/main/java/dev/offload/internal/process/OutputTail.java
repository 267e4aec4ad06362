package dev.offload.internal.process;

import java.nio.charset.StandardCharsets;

/** The last bytes a worker wrote to stderr (both its real stderr and {@code System.err}), for crash reports. */
final class OutputTail {
    private static final int CAPACITY = 16 * 1024;
    private static final int MAX_LINES = 30;

    private final byte[] ring = new byte[CAPACITY];
    private long written;

    synchronized void append(byte[] b, int off, int len) {
        if (len >= CAPACITY) {
            off += len - CAPACITY;
            len = CAPACITY;
        }
        for (int i = 0; i < len; i++) {
            ring[(int) ((written + i) % CAPACITY)] = b[off + i];
        }
        written += len;
    }

    /** The last lines (at most 30), as text. */
    synchronized String lastLines() {
        int n = (int) Math.min(written, CAPACITY);
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = ring[(int) ((written - n + i) % CAPACITY)];
        }
        String s = new String(out, StandardCharsets.UTF_8).stripTrailing();
        String[] lines = s.split("\n", -1);
        if (lines.length <= MAX_LINES) {
            return s;
        }
        return String.join("\n", java.util.Arrays.copyOfRange(lines, lines.length - MAX_LINES, lines.length));
    }
}
