package dev.offload.examples.bench.micro;

import dev.offload.Codec;
import dev.offload.coroutines.internal.KotlinxCborCodec;
import dev.offload.coroutines.internal.KotlinxJsonCodec;
import dev.offload.internal.codec.JavaCodec;
import dev.offload.internal.protocol.PayloadInput;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What a codec costs one call, with no process in between: the arguments written (parent) and read (worker), the
 * result written (worker) and read (parent), in memory (a real call's frames: see FrameBench). The Java codec is what
 * {@code Offload.runSync} uses by default; the Kotlin ones are what {@code runSync} from dev.offload.coroutines picks
 * for {@code PayloadFormat.Json} and {@code Binary}. Reported by the harness (see {@code Benchmarks.micro}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {
    private static final Type[] ONE_INT = {int.class};
    private static final Type[] ONE_JPOINT = {JPoint.class};
    private static final Type[] ONE_KPOINT = {KPoint.class};

    private final Bytes buffer = new Bytes();
    private final Codec java = new JavaCodec();
    // As a call builds them: the parent's codec carries the serializers and the description of the call's types
    // (result first, then each argument: see TypeDescriptors); the worker's is rebuilt from that description.
    private static final String INTS = "java.lang.Integer\njava.lang.Integer";
    private static final String POINTS = KPoint.class.getName() + "\n" + KPoint.class.getName();
    private final Codec jsonInt = new KotlinxJsonCodec(List.of(MicroSerializers.intSerializer()),
            MicroSerializers.intSerializer(), INTS, null);
    private final Codec workerJsonInt = new KotlinxJsonCodec(INTS);
    private final Codec jsonPoint = new KotlinxJsonCodec(List.of(MicroSerializers.pointSerializer()),
            MicroSerializers.pointSerializer(), POINTS, null);
    private final Codec workerJsonPoint = new KotlinxJsonCodec(POINTS);
    private final Codec cborPoint = new KotlinxCborCodec(List.of(MicroSerializers.pointSerializer()),
            MicroSerializers.pointSerializer(), POINTS, null);
    private final Codec workerCborPoint = new KotlinxCborCodec(POINTS);
    private int i;

    /** Both sides of one call: arguments out and in, result out and in. */
    private Object call(Codec parent, Codec worker, Type[] parameters, Type returnType, Object argument)
            throws IOException {
        buffer.reset();
        parent.writeArguments(new Object[] {argument}, buffer);
        Object[] received = worker.readArguments(parameters, input());
        buffer.reset();
        worker.writeResult(returnType, received[0], buffer);
        return parent.readResult(input());
    }

    private PayloadInput input() {
        return new PayloadInput(buffer.array(), 0, buffer.size());
    }

    /** An in-memory stream whose array the reading side takes as it is. */
    static final class Bytes extends java.io.ByteArrayOutputStream {
        byte[] array() {
            return buf;
        }
    }

    @Benchmark
    public Object javaInt() throws IOException {
        return call(java, java, ONE_INT, int.class, i++);
    }

    @Benchmark
    public Object kotlinJsonInt() throws IOException {
        return call(jsonInt, workerJsonInt, ONE_INT, int.class, i++);
    }

    @Benchmark
    public Object javaRecord() throws IOException {
        i++;
        return call(java, java, ONE_JPOINT, JPoint.class, new JPoint(i, i * 0.5, "p" + i));
    }

    @Benchmark
    public Object kotlinJsonDataClass() throws IOException {
        return call(jsonPoint, workerJsonPoint, ONE_KPOINT, KPoint.class, MicroSerializers.point(i++));
    }

    @Benchmark
    public Object kotlinBinaryDataClass() throws IOException {
        return call(cborPoint, workerCborPoint, ONE_KPOINT, KPoint.class, MicroSerializers.point(i++));
    }
}
