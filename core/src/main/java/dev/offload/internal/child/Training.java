package dev.offload.internal.child;

import dev.offload.Codec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.lang.reflect.Type;
import java.util.List;

/**
 * What the worker that trains the class-data-sharing archive does before it exits: runs the codecs found on the
 * classpath once each way, so that their classes are in the archive even if this worker's calls never needed them
 * (a first context running only Java functions still gives Kotlin workers a fast start later).
 */
final class Training {
    private Training() {}

    /** The codecs a worker may be asked for, by class name; those not on the classpath are skipped. */
    private static final List<String> CODECS = List.of(
            "dev.offload.internal.codec.JavaCodec",
            "dev.offload.coroutines.internal.KotlinxJsonCodec",
            "dev.offload.coroutines.internal.KotlinxCborCodec");

    static boolean enabled() {
        return Boolean.getBoolean("offload.train");
    }

    static void exerciseCodecs() {
        for (String name : CODECS) {
            try {
                Codec codec = (Codec) Class.forName(name, true, ClassLoader.getSystemClassLoader())
                        .getConstructor().newInstance();
                ByteArrayOutputStream result = new ByteArrayOutputStream();
                codec.writeResult(String.class, "offload", result);
                // The same bytes, framed as a one-argument call, read back: the decoding classes load too.
                ByteArrayOutputStream args = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(args);
                out.writeInt(1);
                out.write(result.toByteArray());
                out.flush();
                codec.readArguments(new Type[] {String.class}, new ByteArrayInputStream(args.toByteArray()));
            } catch (ReflectiveOperationException | LinkageError | java.io.IOException | RuntimeException e) {
                // not on the classpath, or a format this probe does not fit: nothing to archive
            }
        }
    }
}
