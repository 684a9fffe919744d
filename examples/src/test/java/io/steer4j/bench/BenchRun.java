package io.steer4j.bench;

import io.steer4j.cli.Steer4jCli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code steer4j} command run in-process for a test: its exit code and everything it printed. */
record BenchRun(int code, String out) {

    /** Runs {@code steer4j args...} with standard output captured. */
    static BenchRun of(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Steer4jCli.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        return new BenchRun(code, buf.toString(StandardCharsets.UTF_8));
    }
}
