package dev.offload.internal.protocol;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * An exception as plain data (class name, message, stack, cause, suppressed), the form in which a worker's
 * exception crosses the pipe. The parent never Java-deserializes a throwable; it rebuilds one from this.
 */
public final class RemoteThrowable {
    private static final int MAX_DEPTH = 32;

    public final String className;
    public final String message;
    public final StackTraceElement[] stackTrace;
    public final RemoteThrowable cause;
    public final List<RemoteThrowable> suppressed;

    public RemoteThrowable(String className, String message, StackTraceElement[] stackTrace, RemoteThrowable cause,
            List<RemoteThrowable> suppressed) {
        this.className = className;
        this.message = message;
        this.stackTrace = stackTrace;
        this.cause = cause;
        this.suppressed = suppressed;
    }

    /** Writes {@code t}, its cause chain and its suppressed exceptions. */
    public static void write(Throwable t, DataOutputStream out) throws IOException {
        write(t, out, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
    }

    /**
     * Writes {@code t} alone, for a frame too small for all of it: its message cut to {@code maxChars} characters
     * with {@code note} added, its {@code maxFrames} innermost stack frames, no cause and no suppressed exceptions.
     */
    public static void writeShort(Throwable t, String note, int maxChars, int maxFrames, DataOutputStream out)
            throws IOException {
        String message = messageOf(t);
        if (message != null && message.length() > maxChars) {
            message = message.substring(0, maxChars) + "…";
        }
        StackTraceElement[] st = t.getStackTrace();
        writeHead(t.getClass().getName(), message == null ? note : message + " " + note,
                java.util.Arrays.copyOf(st, Math.min(st.length, maxFrames)), out);
        out.writeBoolean(false);
        out.writeInt(0);
    }

    private static String messageOf(Throwable t) {
        try {
            return t.getMessage();
        } catch (RuntimeException e) {
            return "<getMessage() threw " + e + ">";
        }
    }

    private static void writeHead(String className, String message, StackTraceElement[] st, DataOutputStream out)
            throws IOException {
        Wire.writeString(out, className);
        Wire.writeString(out, message);
        out.writeInt(st.length);
        for (StackTraceElement e : st) {
            Wire.writeString(out, e.getClassName());
            Wire.writeString(out, e.getMethodName());
            Wire.writeString(out, e.getFileName());
            out.writeInt(e.getLineNumber());
        }
    }

    private static void write(Throwable t, DataOutputStream out, Set<Throwable> seen, int depth) throws IOException {
        seen.add(t);
        writeHead(t.getClass().getName(), messageOf(t), t.getStackTrace(), out);
        Throwable cause = t.getCause();
        boolean writeCause = cause != null && !seen.contains(cause) && depth < MAX_DEPTH;
        out.writeBoolean(writeCause);
        if (writeCause) {
            write(cause, out, seen, depth + 1);
        }
        List<Throwable> sup = new ArrayList<>();
        if (depth < MAX_DEPTH) {
            for (Throwable s : t.getSuppressed()) {
                if (!seen.contains(s)) {
                    sup.add(s);
                }
            }
        }
        out.writeInt(sup.size());
        for (Throwable s : sup) {
            write(s, out, seen, depth + 1);
        }
    }

    public static RemoteThrowable read(DataInputStream in) throws IOException {
        return read(in, 0);
    }

    private static RemoteThrowable read(DataInputStream in, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new ProtocolException("exception nested deeper than " + MAX_DEPTH);
        }
        String className = Wire.readString(in);
        String message = Wire.readString(in);
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new ProtocolException("stack trace of " + n + " frames does not fit in the payload");
        }
        StackTraceElement[] st = new StackTraceElement[n];
        for (int i = 0; i < n; i++) {
            String cls = Wire.readString(in);
            String method = Wire.readString(in);
            String file = Wire.readString(in);
            int line = in.readInt();
            st[i] = new StackTraceElement(cls, method, file, line);
        }
        RemoteThrowable cause = in.readBoolean() ? read(in, depth + 1) : null;
        int s = in.readInt();
        if (s < 0 || s > in.available()) {
            throw new ProtocolException(s + " suppressed exceptions do not fit in the payload");
        }
        List<RemoteThrowable> sup = new ArrayList<>(s);
        for (int i = 0; i < s; i++) {
            sup.add(read(in, depth + 1));
        }
        return new RemoteThrowable(className, message, st, cause, sup);
    }

    @Override
    public String toString() {
        return message == null ? className : className + ": " + message;
    }
}
