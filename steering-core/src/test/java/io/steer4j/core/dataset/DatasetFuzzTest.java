package io.steer4j.core.dataset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/** Random mutations and truncations of valid dataset files only ever raise {@link DatasetFormatException}. */
class DatasetFuzzTest {
    @TempDir
    Path tmp;

    private void fuzz(String name, String valid, long seed) throws Exception {
        byte[] bytes = valid.getBytes(StandardCharsets.UTF_8);
        Random r = new Random(seed);
        Path f = tmp.resolve(name);
        for (int iter = 0; iter < 1500; iter++) {
            byte[] m = bytes.clone();
            if (r.nextInt(3) == 0) {
                m = java.util.Arrays.copyOf(m, r.nextInt(m.length + 1));
            } else {
                int flips = 1 + r.nextInt(6);
                for (int k = 0; k < flips; k++) {
                    // favour structural characters, which is where parsers break
                    byte[] pool = "{}[]\",:\n\r\\ ab01".getBytes(StandardCharsets.UTF_8);
                    m[r.nextInt(m.length)] = r.nextBoolean() ? pool[r.nextInt(pool.length)] : (byte) r.nextInt(256);
                }
            }
            Files.write(f, m);
            try {
                ContrastiveDatasets.load(f);
            } catch (DatasetFormatException expected) {
                // the library's own, naming file, line and field
            } catch (Exception e) {
                fail("mutation " + iter + " of " + name + " raised " + e + " for input:\n"
                        + new String(m, StandardCharsets.UTF_8), e);
            }
        }
    }

    @Test
    void jsonPairFilesFailOnlyWithTheFormatException() throws Exception {
        fuzz("p.json", "[{\"positive\": \"I love it\", \"negative\": \"I hate it\"},\n"
                + " {\"positive\": \"great day\", \"negative\": \"awful day\"}]", 1);
    }

    @Test
    void twoListFilesFailOnlyWithTheFormatException() throws Exception {
        fuzz("t.json", "{\"helpful\": [\"Sure, here is how\", \"Step one\"],\n \"unhelpful\": [\"No\", \"Go away\"]}", 2);
    }

    @Test
    void jsonlFilesFailOnlyWithTheFormatException() throws Exception {
        fuzz("l.jsonl", "{\"positive\": \"yes\", \"negative\": \"no\"}\n{\"question\": \"Q?\\n(A) x\\n(B) y\","
                + " \"answer_matching_behavior\": \"(A)\", \"answer_not_matching_behavior\": \"(B)\"}\n", 3);
    }

    @Test
    void csvFilesFailOnlyWithTheFormatException() throws Exception {
        fuzz("c.csv", "positive,negative\n\"I love it, really\",\"I hate it\"\ngood,bad\n", 4);
    }

    @Test
    void invalidUtf8IsRefusedNamingItsLine() throws Exception {
        Path f = tmp.resolve("bad.csv");
        byte[] head = "positive,negative\ngood,bad\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'o', 'k', ',', (byte) 0xC3, (byte) 0x28, '\n'};
        byte[] all = java.util.Arrays.copyOf(head, head.length + bad.length);
        System.arraycopy(bad, 0, all, head.length, bad.length);
        Files.write(f, all);
        DatasetFormatException e = org.junit.jupiter.api.Assertions.assertThrows(DatasetFormatException.class,
                () -> ContrastiveDatasets.load(f));
        org.junit.jupiter.api.Assertions.assertEquals(3, e.line(), e.getMessage());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
