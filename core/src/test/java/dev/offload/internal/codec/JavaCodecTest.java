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

    static final class Gadget implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private Object roundTrip(Object v) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.writeResult(Object.class, v, out);
        return codec.readResult(new ByteArrayInputStream(out.toByteArray()));
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
