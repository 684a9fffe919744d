package io.steer4j.djl.reliability;

import io.steer4j.core.format.MessageLimit;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.ModelLoadException;
import io.steer4j.djl.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 27: a copy of stories260k whose {@code config.json} or {@code tokenizer.json} is mutated, for a fixed time
 * budget each, loads or fails with {@link ModelLoadException} (message capped, never quoting a planted secret),
 * never another exception, and allocates at most twice what loading the unmodified folder does (plus
 * {@link #SLACK} bytes), on all threads together: a claim in a file never sizes an allocation.
 */
class ModelFileFuzzTest {
    /**
     * A fixed number of cases per file, so that a run's outcome does not depend on the machine's speed (with a
     * time budget alone a faster machine reached cases a slower one never ran, and CI could turn red on new
     * ground); the time cap only bounds a very slow machine.
     */
    private static final int CASES = 1500;
    private static final long BUDGET_NANOS = 30_000_000_000L;
    private static final long SLACK = 64L << 20;
    /** Values a crafted config or tokenizer puts where a number or a string was. */
    private static final String[] PLANTED = {"2147483647", "-1", "0", "1e309", "99999999999999999999", "null",
        "\"hf_CANARYsecret\"", "[]", "{}", "[[[[[[[[", "\"\\ud800\"", "true", "4294967296", "1.5"};

    @TempDir
    Path tmp;

    private Path copyOfStories() throws IOException {
        Path dst = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> files = Files.list(RealModels.require("stories260k"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    /** Heap bytes allocated so far by all live threads (loading uses the engine thread too). */
    private static long allThreadsAllocated() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long v : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            sum += Math.max(0, v);
        }
        return sum;
    }

    /** Replaces a JSON value, flips a character, cuts the text or repeats a span. */
    private static String mutate(String good, Random r) {
        String s = good;
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            int at = r.nextInt(Math.max(1, s.length()));
            switch (r.nextInt(5)) {
                case 0 -> {
                    int colon = s.indexOf(':', at);
                    int end = colon < 0 ? -1 : indexOfAny(s, colon + 1);
                    if (end > 0) {
                        s = s.substring(0, colon + 1) + PLANTED[r.nextInt(PLANTED.length)] + s.substring(end);
                    }
                }
                case 1 -> s = s.substring(0, at) + (char) (r.nextInt(95) + 32) + s.substring(Math.min(s.length(), at + 1));
                case 2 -> s = s.substring(0, at);
                case 3 -> s = s.substring(0, at) + s.substring(at, Math.min(s.length(), at + 1 + r.nextInt(64)))
                        + s.substring(at);
                default -> s = s.substring(0, at) + PLANTED[r.nextInt(PLANTED.length)] + s.substring(at);
            }
        }
        return s;
    }

    private static int indexOfAny(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '}' || c == ']') {
                return i;
            }
        }
        return -1;
    }

    private interface Load {
        void run(Path folder) throws Exception;
    }

    private void fuzz(String file, long seed, Load load) throws IOException {
        Path d = copyOfStories();
        String good = Files.readString(d.resolve(file), StandardCharsets.UTF_8);
        Random r = new Random(Long.getLong("steer4j.fuzz.seed", seed));
        long baseline = allThreadsAllocated();
        try {
            load.run(d);
        } catch (Exception e) {
            throw new AssertionError("the unmodified folder does not load", e);
        }
        long maxAllocated = 2 * (allThreadsAllocated() - baseline) + SLACK;
        long end = System.nanoTime() + BUDGET_NANOS;
        int cases = 0;
        int refused = 0;
        long worst = 0;
        while (cases < CASES && System.nanoTime() < end) {
            String mutated = mutate(good, r);
            Files.writeString(d.resolve(file), mutated, StandardCharsets.UTF_8);
            cases++;
            long before = allThreadsAllocated();
            try {
                load.run(d);
            } catch (ModelLoadException e) {
                refused++;
                assertTrue(e.getMessage().length() <= MessageLimit.MAX_CHARS + 64, e.getMessage().length() + " chars");
                assertTrue(!e.getMessage().contains("CANARY"), "case " + cases + " quoted the file: " + e.getMessage());
            } catch (Throwable t) {
                fail(file + " case " + cases + ": " + t, t);
            }
            long allocated = allThreadsAllocated() - before;
            worst = Math.max(worst, allocated);
            assertTrue(allocated < maxAllocated, file + " case " + cases + " allocated " + allocated + " bytes for "
                    + (mutated.length() > 2000 ? mutated.substring(0, 2000) : mutated));
        }
        System.out.printf("%s fuzz: %d cases, %d refused, worst allocation %d bytes (bound %d)%n", file, cases,
                refused, worst, maxAllocated);
        assertTrue(cases > 3, "only " + cases + " cases ran");
    }

    @Test
    void mutatedConfigJsonLoadsOrIsRefused() throws IOException {
        fuzz("config.json", 1, d -> LanguageModel.load(d).close());
    }

    @Test
    void mutatedTokenizerJsonLoadsOrIsRefused() throws IOException {
        fuzz("tokenizer.json", 2, d -> TextTokenizer.load(d).close());
    }
}
