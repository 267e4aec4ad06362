package dev.offload.coroutines

import dev.offload.testing.PublicApi
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path

/**
 * The public API of offload-coroutines is the committed `api/offload-coroutines.api`; rewrite it on purpose with
 * `-Doffload.updateApi=true` and review the diff.
 */
class PublicApiSpec : FunSpec({
    test("the public API matches the committed list") {
        val actual = PublicApi.dump(Path.of("target/classes"))
        val committed = Path.of("api/offload-coroutines.api")
        if (java.lang.Boolean.getBoolean("offload.updateApi")) {
            Files.createDirectories(committed.parent)
            Files.writeString(committed, actual)
        }
        Files.readString(committed) shouldBe actual
    }
})
