package dev.offload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.offload.testing.NoWorkerLeft;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** "Print just works": what a function prints reaches the caller's System.out and System.err. */
@ExtendWith(NoWorkerLeft.class)
class PrintingTest {
    private PrintStream out;
    private PrintStream err;

    @BeforeEach
    void keepStreams() {
        out = System.out;
        err = System.err;
    }

    @AfterEach
    void restoreStreams() {
        System.setOut(out);
        System.setErr(err);
    }

    @Test
    void printsReachTheParentsStreamsBeforeTheCallReturns() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try (WorkerContext ctx = WorkerContext.open()) {
            System.setOut(new PrintStream(o, true));
            System.setErr(new PrintStream(e, true));
            assertEquals("printed", ctx.runSync(Fns::print, "to stdout", "to stderr"));
            assertEquals("to stdout" + System.lineSeparator(), o.toString());
            assertEquals("to stderr" + System.lineSeparator(), e.toString());
        }
    }

    @Test
    void aFunctionThatClosesSystemOutDoesNotSilenceTheCallsAfterIt() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try (WorkerContext ctx = WorkerContext.open()) {
            long pid = ctx.runSync(Fns::pid);
            System.setOut(new PrintStream(o, true));
            System.setErr(new PrintStream(e, true));
            assertEquals("first", ctx.runSync(Fns::printAndClose, "first"));
            assertEquals("printed", ctx.runSync(Fns::print, "then stdout", "then stderr"));
            assertEquals(pid, ctx.runSync(Fns::pid));
            assertEquals("first" + System.lineSeparator() + "then stdout" + System.lineSeparator(), o.toString());
            assertEquals("then stderr" + System.lineSeparator(), e.toString());
        }
    }

    @Test
    void tenMegabytesOfPrintingNeitherDeadlocksNorCorruptsTheProtocol() {
        long[] count = new long[1];
        OutputStream counter = new OutputStream() {
            @Override
            public void write(int b) {
                count[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) {
                count[0] += len;
            }
        };
        try (WorkerContext ctx = WorkerContext.open()) {
            System.setOut(new PrintStream(counter, false));
            int lines = ctx.runSync(Fns::printMegabytes, 10);
            System.out.flush();
            assertEquals(100_000, lines);
            assertEquals(100_000L * (99 + System.lineSeparator().length()), count[0]);
            assertEquals(49, ctx.runSync(Fns::square, 7), "the protocol is intact afterwards");
        }
    }
}
