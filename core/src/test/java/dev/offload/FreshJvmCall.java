package dev.offload;

import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;

/**
 * A program for {@link ObservabilityTest}: one call in a fresh JVM without Flight Recorder, then a recording and one
 * more call. Prints {@code key=value} lines; {@code recording=start} marks where Flight Recorder starts.
 */
public final class FreshJvmCall {
    private FreshJvmCall() {}

    public static void main(String[] args) throws Exception {
        try (WorkerContext ctx = WorkerContext.open()) {
            System.out.println("square=" + ctx.runSync(Fns::square, 12));
            System.out.println("recording=start");
            Path file = Files.createTempFile("offload", ".jfr");
            try (Recording r = new Recording()) {
                r.enable("dev.offload.Call").withoutThreshold();
                r.start();
                ctx.runSync(Fns::square, 3);
                r.stop();
                r.dump(file);
            }
            long calls = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.offload.Call")).count();
            Files.delete(file);
            System.out.println("callEvents=" + calls);
        }
    }
}
