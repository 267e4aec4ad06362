package dev.offload.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class JavaCodecTest {
    private final JavaCodec codec = new JavaCodec("");

    enum Color { RED, GREEN }

    record Pair(String name, List<Integer> values, Color color) implements Serializable {}

    record Inner(double x, char c, short s, byte b, float f, Color color) implements Serializable {}

    record Outer(int id, long when, String name, Boolean flag, Inner inner, Inner none) implements Serializable {}

    record NonNegative(int n) implements Serializable {
        NonNegative {
            if (n < 0) {
                throw new IllegalArgumentException("n < 0: " + n);
            }
        }
    }

    record Replaced(int n) implements Serializable {
        private Object writeReplace() {
            return new Replaced(n + 1);
        }
    }

    record Nest(Nest next, int level) implements Serializable {
        static Nest deep(int levels) {
            Nest n = null;
            for (int i = 0; i < levels; i++) {
                n = new Nest(n, i);
            }
            return n;
        }
    }

    static final class Gadget implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private Object roundTrip(Object v) throws IOException {
        return codec.readResult(new ByteArrayInputStream(written(v)));
    }

    private byte[] written(Object v) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.writeResult(Object.class, v, out);
        return out.toByteArray();
    }

    private static final int SERIALIZED = 7;
    private static final int RECORD = 8;
    private static final int ENUM = 9;

    @Test
    void recordsOfPlainValuesEnumsAndSuchRecordsTravelInTheCompactForm() throws IOException {
        Outer v = new Outer(7, -3L, "héllo", null, new Inner(2.5, 'ç', (short) -2, (byte) 9, 1.5f, Color.GREEN), null);
        byte[] bytes = written(v);
        assertEquals(RECORD, bytes[0]);
        assertEquals(v, codec.readResult(new ByteArrayInputStream(bytes)));
        assertEquals(ENUM, written(Color.RED)[0]);
        assertEquals(Color.RED, roundTrip(Color.RED));
        for (Object boxed : new Object[] {1.5f, (short) 3, (byte) -4, 'x'}) {
            assertEquals(boxed, roundTrip(boxed));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.writeArguments(new Object[] {v, Color.GREEN}, out);
        assertArrayEquals(new Object[] {v, Color.GREEN}, codec.readArguments(new Type[] {Outer.class, Object.class},
                new ByteArrayInputStream(out.toByteArray())));
    }

    @Test
    void aGraphTooDeepToReadSaysSoAndWhatToSendInstead() {
        List<Object> nested = new ArrayList<>();
        List<Object> at = nested;
        for (int i = 0; i < 300; i++) {
            List<Object> inner = new ArrayList<>();
            at.add(inner);
            at = inner;
        }
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> roundTrip(nested));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("an object graph nested deeper than 200 "
                + "levels") && e.getMessage().contains("send it flatter"), e.getMessage());
    }

    @Test
    void otherRecordsKeepJdkSerialization() throws IOException {
        Pair withList = new Pair("p", new ArrayList<>(List.of(1, 2)), Color.RED); // a mutable component
        assertEquals(SERIALIZED, written(withList)[0]);
        assertEquals(withList, roundTrip(withList));
        assertEquals(SERIALIZED, written(new Replaced(1))[0]);
        assertEquals(new Replaced(2), roundTrip(new Replaced(1))); // its writeReplace ran, as before
        Nest deep = Nest.deep(JavaCodec.MAX_RECORD_DEPTH + 1);
        assertEquals(SERIALIZED, written(deep)[0]);
        assertEquals(deep, roundTrip(deep));
        assertEquals(RECORD, written(Nest.deep(JavaCodec.MAX_RECORD_DEPTH))[0]);
    }

    @Test
    void aCompactStreamIsCheckedAsItIsRead() throws IOException {
        // The record's constructor sees the values: a stream it refuses fails as JDK deserialization would.
        byte[] bytes = written(new NonNegative(5));
        bytes[bytes.length - 1] = (byte) 0xff; // n = 0x000000ff ... made negative below
        bytes[bytes.length - 4] = (byte) 0x80;
        java.io.InvalidObjectException refused = assertThrows(java.io.InvalidObjectException.class,
                () -> codec.readResult(new ByteArrayInputStream(bytes)));
        assertTrue(refused.getCause() instanceof IllegalArgumentException, String.valueOf(refused.getCause()));
        assertTrue(refused.getMessage().contains("n < 0"), refused.getMessage());

        // Only a Serializable record's class is built from the compact form.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.io.DataOutputStream data = new java.io.DataOutputStream(out);
        data.writeByte(RECORD);
        data.writeUTF(Gadget.class.getName());
        data.writeByte(0);
        InvalidClassException notRecord = assertThrows(InvalidClassException.class,
                () -> codec.readResult(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(notRecord.getMessage().contains("not a record that Offload sends in its compact form"),
                notRecord.getMessage());

        // A component count that does not match the class here, and an unknown class, are named.
        out.reset();
        data.writeByte(RECORD);
        data.writeUTF(NonNegative.class.getName());
        data.writeByte(2);
        InvalidClassException count = assertThrows(InvalidClassException.class,
                () -> codec.readResult(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(count.getMessage().contains("has 1 components here, 2 in the stream"), count.getMessage());
        out.reset();
        data.writeByte(RECORD);
        data.writeUTF("no.such.Type");
        data.writeByte(0);
        IOException unknown = assertThrows(IOException.class,
                () -> codec.readResult(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(unknown.getMessage().contains("no.such.Type"), unknown.getMessage());

        // Records nested deeper than any the writing side sends in this form are refused, not recursed into.
        out.reset();
        for (int i = 0; i <= JavaCodec.MAX_RECORD_DEPTH; i++) {
            data.writeByte(RECORD);
            data.writeUTF(Nest.class.getName());
            data.writeByte(2);
        }
        InvalidClassException tooDeep = assertThrows(InvalidClassException.class,
                () -> codec.readResult(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(tooDeep.getMessage().contains("nested more than"), tooDeep.getMessage());
    }

    @Test
    void everydayValuesRoundTrip() throws IOException {
        for (Object v : new Object[] {null, 1, -5L, 2.5, true, "héllo", BigDecimal.TEN, LocalDate.of(2026, 11, 22),
                List.of(1, 2), new ArrayList<>(List.of("a")), Map.of("k", 1), new HashMap<>(Map.of(1, "x")),
                new TreeMap<>(Map.of("b", 2)), Set.of(3), Arrays.asList(1, 2), Color.GREEN,
                new Pair("p", List.of(1, 2), Color.RED), new int[] {1, 2}, new String[] {"a", null}}) {
            Object back = roundTrip(v);
            if (v instanceof int[]) {
                assertArrayEquals((int[]) v, (int[]) back);
            } else if (v instanceof Object[]) {
                assertArrayEquals((Object[]) v, (Object[]) back);
            } else {
                assertEquals(v, back);
            }
        }
        assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) roundTrip(new byte[] {1, 2, 3}));
    }

    @Test
    void theJdksCollectionsRoundTrip() throws IOException {
        List<Object> values = List.of(
                java.util.Collections.emptyList(), java.util.Collections.emptySet(), java.util.Collections.emptyMap(),
                java.util.Collections.singletonList(1), java.util.Collections.singleton("s"),
                java.util.Collections.singletonMap("k", 2),
                java.util.Collections.unmodifiableList(new ArrayList<>(List.of(1, 2))),
                java.util.Collections.unmodifiableList(new java.util.LinkedList<>(List.of(1, 2))),
                java.util.Collections.unmodifiableSet(new java.util.HashSet<>(Set.of(1))),
                java.util.Collections.unmodifiableMap(new HashMap<>(Map.of("a", 1))),
                java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(Set.of(1, 2))),
                java.util.Collections.unmodifiableSortedMap(new TreeMap<>(Map.of("a", 1))),
                java.util.Collections.unmodifiableCollection(new ArrayList<>(List.of(3))).stream().toList(),
                java.util.Collections.synchronizedList(new ArrayList<>(List.of(1))),
                java.util.Collections.synchronizedMap(new HashMap<>(Map.of("a", 1))),
                java.util.EnumSet.of(Color.RED), java.util.EnumSet.noneOf(Color.class),
                new java.util.concurrent.ConcurrentHashMap<>(Map.of("a", 1)),
                new java.util.concurrent.ConcurrentSkipListMap<>(Map.of("a", 1)),
                new java.util.concurrent.ConcurrentSkipListSet<>(Set.of(1, 2)),
                new java.util.concurrent.CopyOnWriteArrayList<>(List.of(1, 2)),
                new java.util.concurrent.CopyOnWriteArraySet<>(Set.of(1)),
                new java.util.concurrent.ConcurrentLinkedQueue<>(List.of(1)),
                new java.util.concurrent.ConcurrentLinkedDeque<>(List.of(1)),
                new java.util.Vector<>(List.of(1)), new java.util.Hashtable<>(Map.of("a", 1)),
                new java.util.IdentityHashMap<>(Map.of("a", 1)), new java.util.Stack<>(),
                java.util.Optional.of(1).stream().toList(), new java.util.PriorityQueue<>(List.of(3, 1, 2)));
        for (Object v : values) {
            Object back = roundTrip(v);
            assertEquals(v.getClass(), back.getClass(), v.getClass().getName());
            if (v instanceof java.util.Queue && !(v instanceof java.util.Deque)) {
                assertEquals(new ArrayList<>((java.util.Collection<?>) v), new ArrayList<>((java.util.Collection<?>) back));
            } else if (v instanceof java.util.IdentityHashMap) { // its keys are equal now, not the same objects
                assertEquals(new HashMap<>((Map<?, ?>) v), new HashMap<>((Map<?, ?>) back));
            } else if (v instanceof java.util.concurrent.ConcurrentLinkedDeque) {
                assertEquals(List.copyOf((java.util.Collection<?>) v), List.copyOf((java.util.Collection<?>) back));
            } else {
                assertEquals(v, back, v.getClass().getName());
            }
        }
    }

    @Test
    void argumentsRoundTripByPosition() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.writeArguments(new Object[] {1, "two", null}, out);
        Object[] back = codec.readArguments(new Type[] {int.class, String.class, Object.class},
                new ByteArrayInputStream(out.toByteArray()));
        assertArrayEquals(new Object[] {1, "two", null}, back);
    }

    @Test
    void readingRefusesClassesOutsideTheAllowList() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(7); // SERIALIZED tag, then a stream written without our checks
        ObjectOutputStream oos = new ObjectOutputStream(out);
        oos.writeObject(new Gadget());
        oos.flush();
        InvalidClassException e = assertThrows(InvalidClassException.class,
                () -> codec.readResult(new ByteArrayInputStream(out.toByteArray())));
        assertTrue(e.getMessage().startsWith("dev.offload.internal.codec.JavaCodecTest$Gadget; not on Offload's"
                + " allow-list"), e.getMessage());
        Object allowed = new JavaCodec("dev.offload.internal.codec.*")
                .readResult(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(Gadget.class, allowed.getClass());
    }
}
