package dev.offload.internal.process;

import dev.offload.internal.protocol.ProtocolException;
import dev.offload.internal.protocol.RemoteThrowable;
import java.nio.charset.StandardCharsets;

/** How a worker process ended: exit status, signal, what it said last, and why if it told us. */
public final class WorkerExit {
    public final long pid;
    public final int exitCode;
    /** Name of the signal that ended the process (e.g. SIGKILL), or null. */
    public final String signal;
    public final String stderrTail;
    /** The worker's own reason from a BROKEN frame (init or retire threw), or null. */
    public final String brokenReason;
    public final RemoteThrowable brokenCause;
    /** The frame stream was not valid, or null. */
    public final ProtocolException protocolError;
    /** Bytes found on stdout outside frames (a crash banner, raw writes to fd 1). */
    public final byte[] garbage;
    /** We sent SIGKILL (cancel, grace period, protocol breach). */
    public final boolean killed;

    WorkerExit(long pid, int exitCode, String stderrTail, String brokenReason, RemoteThrowable brokenCause,
            ProtocolException protocolError, byte[] garbage, boolean killed) {
        this.pid = pid;
        this.exitCode = exitCode;
        this.signal = signalName(exitCode) != null ? signalName(exitCode) : crashSignal(garbage, stderrTail);
        this.stderrTail = stderrTail;
        this.brokenReason = brokenReason;
        this.brokenCause = brokenCause;
        this.protocolError = protocolError;
        this.garbage = garbage;
        this.killed = killed;
    }

    /** A clean exit: status 0, no signal, nothing broken. */
    public boolean clean() {
        return exitCode == 0 && brokenReason == null && protocolError == null && !killed;
    }

    /**
     * One paragraph on what happened, for exception messages, e.g. "worker pid 41 exited with code 42 while
     * running Fns.exit(I)V" then the reason, stray stdout bytes and the stderr tail when there are any.
     */
    public String describe(String during) {
        StringBuilder s = new StringBuilder("worker pid ").append(pid);
        if (signal != null && !signal.equals(signalName(exitCode))) {
            s.append(" crashed with ").append(signal).append(" (exit code ").append(exitCode).append(')');
        } else if (signal != null) {
            s.append(" was killed by ").append(signal).append(" (exit code ").append(exitCode).append(')');
        } else {
            s.append(" exited with code ").append(exitCode);
        }
        s.append(during);
        if (brokenReason != null) {
            s.append(": ").append(brokenReason);
        } else if (protocolError != null) {
            String m = protocolError.getMessage();
            // No handshake: the JVM did not get as far as running the worker (a bad option, a missing class...).
            s.append(m.startsWith("no handshake") ? ": it never became a worker (" + m + ")"
                    : ": it broke the protocol: " + m);
        }
        if (garbage.length > 0) {
            s.append("\nbytes on its stdout outside any frame (").append(garbage.length).append("):\n")
                    .append(printable(garbage));
        }
        if (!stderrTail.isEmpty()) {
            s.append("\nlast lines of its stderr:\n").append(stderrTail);
        }
        return s.toString();
    }

    static String printable(byte[] b) {
        String text = new String(b, StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < text.length() && s.length() < 2000; i++) {
            char c = text.charAt(i);
            s.append(c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f && c != 0xfffd) ? String.valueOf(c)
                    : String.format("\\x%02x", (int) c & 0xff));
        }
        return s.toString();
    }

    private static final java.util.regex.Pattern CRASH_BANNER =
            java.util.regex.Pattern.compile("#\\s+(SIG[A-Z]+) \\(0x[0-9a-f]+\\)");

    /**
     * A JVM that crashes on a signal (SIGSEGV in native code, say) handles it, prints "#  SIGSEGV (0xb) at pc=..."
     * to its stdout and exits without dying of the signal: the signal is only in that banner.
     */
    static String crashSignal(byte[] garbage, String stderrTail) {
        java.util.regex.Matcher m = CRASH_BANNER.matcher(new String(garbage, StandardCharsets.ISO_8859_1));
        if (m.find()) {
            return m.group(1);
        }
        m = CRASH_BANNER.matcher(stderrTail);
        return m.find() ? m.group(1) : null;
    }

    /** Java reports a process ended by signal n as exit status 128 + n. */
    static String signalName(int exitCode) {
        if (exitCode <= 128 || exitCode > 128 + 64) {
            return null;
        }
        switch (exitCode - 128) {
            case 1: return "SIGHUP";
            case 2: return "SIGINT";
            case 3: return "SIGQUIT";
            case 4: return "SIGILL";
            case 6: return "SIGABRT";
            case 7: return "SIGBUS";
            case 8: return "SIGFPE";
            case 9: return "SIGKILL";
            case 11: return "SIGSEGV";
            case 13: return "SIGPIPE";
            case 15: return "SIGTERM";
            default: return "signal " + (exitCode - 128);
        }
    }
}
