/**
 * Offload: runs CPU-bound JVM functions in cached child JVMs and gives the result back to a blocking or
 * {@link java.util.concurrent.CompletableFuture} caller.
 *
 * <p>Only {@code dev.offload} is API. The internal packages are exported to {@code dev.offload.coroutines}
 * alone (Offload's Kotlin front end), never to user code.
 *
 * <p>A function that runs in a worker is found by reflection: a module that passes method references to Offload
 * must open their package to {@code dev.offload} (for example {@code opens com.example.work to dev.offload;}).
 * Workers themselves run everything on the class path: this JVM's module path and class path, in that order.
 */
@SuppressWarnings("module") // dev.offload.coroutines is compiled after this module and is not visible here
module dev.offload {
    exports dev.offload;
    exports dev.offload.internal to dev.offload.coroutines;
    exports dev.offload.internal.protocol to dev.offload.coroutines;

    // Flight Recorder events (dev.offload.internal.events): in every standard JDK image.
    requires jdk.jfr;

    // Only to read this JVM's -javaagent options for workers (AgentInheritance); used when present.
    requires static java.management;

    uses dev.offload.MapBackend;
}
