package dev.offload;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Functions the tests run inside workers. */
public final class Fns {
    Fns() {}

    private static final AtomicInteger INIT_RUNS = new AtomicInteger();
    private static final AtomicInteger CALLS = new AtomicInteger();

    public static int square(int x) {
        return x * x;
    }

    /** x * x after a pause of {@code micros}: longer than a caller's poll when it is over 30. */
    public static int squareAfter(int x, int micros) {
        java.util.concurrent.locks.LockSupport.parkNanos(micros * 1000L);
        return x * x;
    }

    public static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    public static String concat(String a, String b, String c) {
        return a + b + c;
    }

    public static String hello() {
        return "hello";
    }

    public static Object nothing() {
        return null;
    }

    public static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31);
        }
        return b;
    }

    public static int length(byte[] b) {
        return b.length;
    }

    public static byte[] echoBytes(byte[] b) {
        return b;
    }

    /** {@code a} then {@code b}, and the sum of their bytes' low bits as the last byte: both arrived whole. */
    public static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    public static Point mirror(Point p) {
        return new Point(p.y(), p.x());
    }

    public static int sum(List<Integer> xs) {
        return xs.stream().mapToInt(Integer::intValue).sum();
    }

    public static Map<String, Integer> counts(String text) {
        Map<String, Integer> m = new java.util.TreeMap<>();
        for (String w : text.split(" ")) {
            m.merge(w, 1, Integer::sum);
        }
        return m;
    }

    public static long pid() {
        return ProcessHandle.current().pid();
    }

    public static String systemProperty(String key) {
        return System.getProperty(key);
    }

    public static String env(String key) {
        return System.getenv(key);
    }

    public static int specialFailure(String message) {
        throw new SpecialException(message, new IllegalStateException("a"));
    }

    public static int hiddenFailure() {
        throw new Hidden("secret");
    }

    public static String checked(String path) throws IOException {
        throw new IOException("cannot read " + path);
    }

    public static int exitWith(int code) {
        System.exit(code);
        return 0;
    }

    public static int halt(int code) {
        Runtime.getRuntime().halt(code);
        return 0;
    }

    public static int spin() {
        long x = 0;
        for (;;) {
            x++;
            if (x == Long.MIN_VALUE) {
                return 0;
            }
        }
    }

    /** Creates {@code marker} (so a test knows the call is running in its worker), then loops forever. */
    public static int touchThenSpin(String marker) throws IOException {
        java.nio.file.Files.createFile(java.nio.file.Path.of(marker));
        return spin();
    }

    /** Creates {@code marker}, then sleeps. */
    public static int touchThenSleep(String marker, int millis) throws IOException, InterruptedException {
        java.nio.file.Files.createFile(java.nio.file.Path.of(marker));
        Thread.sleep(millis);
        return millis;
    }

    /** Writes this worker's pid to {@code pidFile}, then sleeps: a test can kill it from outside mid-call. */
    public static int pidThenSleep(String pidFile, int millis) throws IOException, InterruptedException {
        java.nio.file.Path tmp = java.nio.file.Path.of(pidFile + ".tmp");
        java.nio.file.Files.writeString(tmp, Long.toString(ProcessHandle.current().pid()));
        java.nio.file.Files.move(tmp, java.nio.file.Path.of(pidFile), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Thread.sleep(millis);
        return millis;
    }

    public static int sleepMillis(int millis) throws InterruptedException {
        Thread.sleep(millis);
        return millis;
    }

    public static String print(String out, String err) {
        System.out.println(out);
        System.err.println(err);
        return "printed";
    }

    /** Prints {@code megabytes} MB to System.out and returns how many lines it printed. */
    public static int printMegabytes(int megabytes) {
        char[] line = new char[99];
        Arrays.fill(line, 'x');
        String s = new String(line);
        int lines = megabytes * 10_000;
        for (int i = 0; i < lines; i++) {
            System.out.println(s);
        }
        return lines;
    }

    public static int rawStdout() throws IOException {
        FileOutputStream raw = new FileOutputStream(FileDescriptor.out);
        raw.write("Hello from the wrong stream\n".getBytes());
        raw.flush();
        return 1;
    }

    /** Keeps allocating until the heap is exhausted. */
    public static int exhaustHeap() {
        List<long[]> hog = new java.util.ArrayList<>();
        for (;;) {
            hog.add(new long[1 << 20]);
        }
    }

    public static int recurseForever(int depth) {
        return recurseForever(depth + 1) + 1;
    }

    /** Crashes the JVM natively: a write through a null address with sun.misc.Unsafe. */
    public static int segfault() throws ReflectiveOperationException {
        java.lang.reflect.Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
        f.setAccessible(true);
        Object unsafe = f.get(null);
        unsafe.getClass().getMethod("putAddress", long.class, long.class).invoke(unsafe, 0L, 42L);
        return 0;
    }

    /** Writes {@code megabytes} MB to System.err in 64 KiB writes. */
    public static int floodStderr(int megabytes) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'e');
        for (int i = 0; i < megabytes * 16; i++) {
            System.err.write(chunk, 0, chunk.length);
        }
        System.err.flush();
        return megabytes;
    }

    /** Writes {@code megabytes} MB to System.out in 64 KiB writes. */
    public static int floodStdout(int megabytes) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) 'o');
        for (int i = 0; i < megabytes * 16; i++) {
            System.out.write(chunk, 0, chunk.length);
        }
        System.out.flush();
        return megabytes;
    }

    /** Starts a grandchild that inherits this worker's stdout (and keeps it open), records its pid, then exits. */
    public static int exitLeavingGrandchild(String pidFile) throws IOException {
        Process sleeper = new ProcessBuilder("sleep", "60").inheritIO().start();
        java.nio.file.Files.writeString(java.nio.file.Path.of(pidFile), Long.toString(sleeper.pid()));
        Runtime.getRuntime().halt(5);
        return 0;
    }

    public static Opaque opaque() {
        return new Opaque();
    }

    /** File descriptors of this process that are sockets. */
    /**
     * This process's network sockets (TCP, UDP or raw, IPv4 or IPv6), as {@code socket:[inode]}. Unix-domain socket
     * pairs are left out: the JDK makes one for itself once a FileChannel is used (as a JaCoCo agent does).
     */
    public static List<String> socketFds() throws IOException {
        java.util.Set<String> network = new java.util.HashSet<>();
        for (String table : List.of("tcp", "tcp6", "udp", "udp6", "raw", "raw6")) {
            java.nio.file.Path p = java.nio.file.Path.of("/proc/self/net", table);
            if (java.nio.file.Files.exists(p)) {
                for (String line : java.nio.file.Files.readAllLines(p)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && !f[0].equals("sl")) { // sl: the header line
                        network.add("socket:[" + f[9] + "]");
                    }
                }
            }
        }
        try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.map(p -> {
                try {
                    return java.nio.file.Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(network::contains).collect(java.util.stream.Collectors.toList());
        }
    }

    /** Touches a marker, then returns a 200 MB result: the worker is writing it when the test kills the parent. */
    public static byte[] touchThenHugeResult(String marker) throws IOException {
        java.nio.file.Files.createFile(java.nio.file.Path.of(marker));
        return new byte[200 << 20];
    }

    // map layer

    public static Integer boxedSquare(Integer x) {
        return x * x;
    }

    /** Prints, then closes the worker's System.out and System.err, as a careless try-with-resources would. */
    public static String printAndClose(String text) {
        System.out.println(text);
        System.out.close();
        System.err.close();
        return text;
    }

    /** Leaves the worker thread's interrupt flag set, as the catch-and-re-interrupt idiom does. */
    public static boolean leaveInterrupted() {
        Thread.currentThread().interrupt();
        return Thread.currentThread().isInterrupted();
    }

    /** Whether the call started with its thread's interrupt flag set. */
    public static boolean startsInterrupted() {
        return Thread.currentThread().isInterrupted();
    }

    /** Whether the item started interrupted; then leaves the flag set for whatever runs next. */
    public static boolean interruptAfterAsking(int x) {
        boolean was = Thread.currentThread().isInterrupted();
        Thread.currentThread().interrupt();
        return was;
    }

    public static int failFor(int x) {
        throw new SpecialException("item " + x, null);
    }

    /** Fails odd inputs. */
    public static int throwTimeout(int x) throws java.util.concurrent.TimeoutException {
        throw new java.util.concurrent.TimeoutException("mine " + x);
    }

    /**
     * Appends a line to {@code file}, waits (up to 30 s) until {@code file + ".release"} exists, then throws what a
     * closed context throws.
     */
    public static int appendThenThrowClosed(String file) throws IOException, InterruptedException {
        java.nio.file.Files.writeString(java.nio.file.Path.of(file), "ran\n", java.nio.file.StandardOpenOption.APPEND);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!java.nio.file.Files.exists(java.nio.file.Path.of(file + ".release")) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        throw new dev.offload.internal.ContextClosedException("thrown by the function itself");
    }

    /**
     * Sleeps {@code sleepMs}, then returns, leaving a shutdown hook that takes 1.5 s to write {@code marker}: the
     * worker takes that long to exit once its input closes.
     */
    public static String slowExitAfter(Long sleepMs, String marker) throws InterruptedException {
        Thread.sleep(sleepMs);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Thread.sleep(1500);
                java.nio.file.Files.writeString(java.nio.file.Path.of(marker), "done");
            } catch (Exception e) {
                // the marker stays missing
            }
        }));
        return "ok";
    }

    public static int squareEven(int x) {
        if (x % 2 != 0) {
            throw new SpecialException("odd " + x, null);
        }
        return x * x;
    }

    /** Sleeps 100 ms; fails the inputs divisible by 5. */
    public static int slowFailEveryFifth(int x) throws InterruptedException {
        Thread.sleep(100);
        if (x % 5 == 0) {
            throw new SpecialException("fifth " + x, null);
        }
        return x;
    }

    /** Sleeps forever for a negative input; else returns the worker pid. */
    public static long hangIfNegative(int x) throws InterruptedException {
        if (x < 0) {
            Thread.sleep(Long.MAX_VALUE);
        }
        return ProcessHandle.current().pid();
    }

    public static int exitOnSeven(int x) {
        if (x == 7) {
            System.exit(7);
        }
        return x;
    }

    /** The class of whatever it gets, and this worker's pid. */
    public static String describe(Object o) {
        return o.getClass().getSimpleName() + "@" + ProcessHandle.current().pid();
    }

    /** Returns {@code n} bytes. */
    public static byte[] kilobytes(int n) {
        return new byte[n * 1024];
    }

    /** Fails with a message of {@code n} characters and a cause: more than the smallest frame holds. */
    public static int failWithLongMessage(int n) {
        throw new IllegalArgumentException("bad input " + "x".repeat(n), new IllegalStateException("the cause"));
    }

    public static Object unencodableResult() {
        return new Thread();
    }

    // init and retire

    public static Void countInit() {
        INIT_RUNS.incrementAndGet();
        return null;
    }

    public static int initRuns() {
        return INIT_RUNS.get();
    }

    /** Throws a CancellationException of its own for odd inputs: a failure, not a cancellation of the call. */
    public static int cancelOnOdd(int x) {
        if (x % 2 != 0) {
            throw new java.util.concurrent.CancellationException("no valid input " + x);
        }
        return x;
    }

    public static Void hangingInit() throws InterruptedException {
        Thread.sleep(60_000);
        return null;
    }

    public static Void failingInit() {
        throw new IllegalStateException("init boom");
    }

    public static Boolean alwaysRetire() {
        return true;
    }

    public static Boolean failingRetire() {
        throw new IllegalArgumentException("retire boom");
    }

    public static Boolean retireAfterSecondCall() {
        return CALLS.incrementAndGet() >= 2;
    }

    /** Creates the file named by system property {@code offload.test.marker}, then never returns. */
    public static Boolean touchThenHang() throws IOException, InterruptedException {
        java.nio.file.Files.createFile(java.nio.file.Path.of(System.getProperty("offload.test.marker")));
        Thread.sleep(Long.MAX_VALUE);
        return false;
    }

    public static Boolean hangingRetire() throws InterruptedException {
        Thread.sleep(Long.MAX_VALUE);
        return false;
    }

    /** A rebuildable exception: public with a (String, Throwable) constructor. */
    public static final class SpecialException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public SpecialException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Not rebuildable: not public. */
    static final class Hidden extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Hidden(String message) {
            super(message);
        }
    }

    public record Point(int x, int y) implements java.io.Serializable {}

    /** Not allowed by the codec's allow-list: a plain Serializable class. */
    public static final class Opaque implements java.io.Serializable {
        private static final long serialVersionUID = 1L;

        public Opaque() {}
    }

    public static int takesOpaque(Opaque o) {
        return 1;
    }

    /** A record that does not implement Serializable: the Java codec cannot send it. */
    public record Plain(int x) {}

    public static Plain plain(int x) {
        return new Plain(x);
    }

    public static int takesThread(Thread t) {
        return 1;
    }

    public int instanceMethod(int x) {
        return x + 1;
    }

    /** The garbage collectors of this JVM. */
    public static String collectors() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).collect(java.util.stream.Collectors.joining(","));
    }

    /** The initial heap size of this JVM, in bytes. */
    public static long initialHeap() {
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit();
    }

    /** The value of a HotSpot option in this JVM. */
    public static String vmOption(String name) throws Exception {
        Object option = java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=HotSpotDiagnostic"), "getVMOption",
                new Object[] {name}, new String[] {String.class.getName()});
        return (String) ((javax.management.openmbean.CompositeData) option).get("value");
    }
}
