package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.offload.testing.NoWorkerLeft;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Type;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A user's codec that fails in the worker: the call fails with an unchecked exception naming the function and the
 * worker, never with the codec's checked exception (which a caller of a function that declares none cannot catch).
 */
@ExtendWith(NoWorkerLeft.class)
class CodecFailureTest {
    /** Strings as modified UTF-8. */
    public static class Strings implements Codec {
        @Override
        public void writeArguments(Object[] arguments, OutputStream out) throws IOException {
            DataOutputStream d = new DataOutputStream(out);
            d.writeInt(arguments.length);
            for (Object a : arguments) {
                d.writeUTF((String) a);
            }
            d.flush();
        }

        @Override
        public Object[] readArguments(Type[] parameterTypes, InputStream in) throws IOException {
            DataInputStream d = new DataInputStream(in);
            Object[] a = new Object[d.readInt()];
            for (int i = 0; i < a.length; i++) {
                a[i] = d.readUTF();
            }
            return a;
        }

        @Override
        public void writeResult(Type returnType, Object result, OutputStream out) throws IOException {
            DataOutputStream d = new DataOutputStream(out);
            d.writeUTF(String.valueOf(result));
            d.flush();
        }

        @Override
        public Object readResult(InputStream in) throws IOException {
            return new DataInputStream(in).readUTF();
        }
    }

    /** Cannot read arguments in the worker. */
    public static class FailsToRead extends Strings {
        @Override
        public Object[] readArguments(Type[] parameterTypes, InputStream in) throws IOException {
            throw new IOException("cannot read this");
        }
    }

    /** Names a worker class that does not exist. */
    public static class MissingInWorker extends Strings {
        @Override
        public String workerClassName() {
            return "dev.offload.NoSuchCodec";
        }
    }

    /** No public no-argument constructor: the worker cannot make one. */
    public static class NeedsAnArgument extends Strings {
        public NeedsAnArgument(int unused) {
        }
    }

    @Test
    void aCodecFailingInTheWorkerFailsTheCallUncheckedNamingTheFunction() throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            assertEquals("ab-c", ctx.runSync(CallOptions.builder().codec(new Strings()).build(), Fns::concat, "a",
                    "b", "-c"));
            List<Codec> broken = List.of(new FailsToRead(), new MissingInWorker(), new NeedsAnArgument(1));
            List<String> expected = List.of(
                    "cannot decode the arguments of dev.offload.Fns.concat(java.lang.String, java.lang.String, "
                            + "java.lang.String) in the worker with dev.offload.CodecFailureTest$FailsToRead: cannot "
                            + "read this",
                    "cannot make the codec dev.offload.NoSuchCodec for dev.offload.Fns.concat(",
                    "cannot make the codec dev.offload.CodecFailureTest$NeedsAnArgument for dev.offload.Fns.concat(");
            for (int i = 0; i < broken.size(); i++) {
                CallOptions options = CallOptions.builder().codec(broken.get(i)).build();
                ExecutionException e = assertThrows(ExecutionException.class,
                        () -> ctx.submit(options, Fns::concat, "a", "b", "c").get());
                IllegalStateException failure = assertInstanceOf(IllegalStateException.class, e.getCause());
                assertTrue(failure.getMessage().startsWith(expected.get(i)), failure.getMessage());
                Throwable thrown = assertThrows(Throwable.class, () -> ctx.runSync(options, Fns::concat, "a", "b", "c"));
                assertInstanceOf(IllegalStateException.class, thrown, "runSync threw " + thrown);
            }
            assertEquals("hello", ctx.runSync(Fns::hello), "the worker stays usable");
        }
    }
}
