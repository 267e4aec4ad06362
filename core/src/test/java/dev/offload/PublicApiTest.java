package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offload.testing.PublicApi;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The public API of offload-core is the committed {@code api/offload-core.api}. A change to it must be deliberate:
 * run the build with {@code -Doffload.updateApi=true} to rewrite the file, and review the diff.
 */
class PublicApiTest {
    @Test
    void publicApiMatchesTheCommittedList() throws Exception {
        String actual = PublicApi.dump(Path.of("target/classes"));
        Path committed = Path.of("api/offload-core.api");
        if (Boolean.getBoolean("offload.updateApi")) {
            Files.createDirectories(committed.getParent());
            Files.writeString(committed, actual);
        }
        assertEquals(Files.readString(committed), actual,
                "the public API changed; if on purpose, rerun with -Doffload.updateApi=true and commit api/offload-core.api");
    }
}
