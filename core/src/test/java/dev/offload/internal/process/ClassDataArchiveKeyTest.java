package dev.offload.internal.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The archive's name: 24 hex digits that follow every part of its key, and where one part ends. */
class ClassDataArchiveKeyTest {

    private static String name(String... parts) {
        ClassDataArchive.Key key = new ClassDataArchive.Key();
        for (String p : parts) {
            key.update(p);
        }
        return key.hex();
    }

    @Test
    void theSamePartsGiveTheSameNameOfTwentyFourHexDigits() {
        String n = name("/usr/lib/jvm/17", "17.0.15+6", "/app/a.jar", "1234", "1700000000000");
        assertTrue(n.matches("[0-9a-f]{24}"), n);
        assertEquals(n, name("/usr/lib/jvm/17", "17.0.15+6", "/app/a.jar", "1234", "1700000000000"));
    }

    @Test
    void anyChangeOfAPartOrOfWherePartsMeetChangesTheName() {
        String base = name("/app/a.jar", "1234", "1700000000000");
        assertNotEquals(base, name("/app/a.jar", "1235", "1700000000000"), "a jar's size");
        assertNotEquals(base, name("/app/a.jar", "1234", "1700000000001"), "a jar's modification time");
        assertNotEquals(base, name("/app/b.jar", "1234", "1700000000000"), "a jar's path");
        assertNotEquals(name("ab", "c"), name("a", "bc"), "where two parts meet");
        assertNotEquals(name("a", ""), name("a"), "an empty part");
    }

    @Test
    void manySimilarKeysGiveDistinctNames() {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            names.add(name("/app/lib-" + i + ".jar", Integer.toString(i % 97), "1700000000000"));
        }
        assertEquals(100_000, names.size());
    }
}
