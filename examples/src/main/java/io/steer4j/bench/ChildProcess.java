package io.steer4j.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a peer program run by {@code bench} printed: its exit code, everything it wrote (standard error merged in,
 * for the failure message) and the lines that are JSON objects, in order, which is how the peers (the PyTorch
 * eager script, the llama.cpp script) report their figures.
 *
 * @param exitCode  the process's exit code
 * @param output    every line it printed
 * @param jsonLines the lines that start with {@code {}
 */
record ChildProcess(int exitCode, String output, List<String> jsonLines) {

    /** Runs {@code command} to completion and collects its output. */
    static ChildProcess run(List<String> command) throws IOException, InterruptedException {
        return run(command, java.util.Map.of());
    }

    /** Runs {@code command} with {@code env} added to this process's environment, and collects its output. */
    static ChildProcess run(List<String> command, java.util.Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> json = new ArrayList<>();
        StringBuilder all = new StringBuilder();
        try (BufferedReader br = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = br.readLine()) != null) {
                all.append(line).append('\n');
                if (line.startsWith("{")) {
                    json.add(line);
                }
            }
        }
        return new ChildProcess(p.waitFor(), all.toString(), List.copyOf(json));
    }
}
