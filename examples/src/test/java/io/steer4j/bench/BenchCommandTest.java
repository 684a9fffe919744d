package io.steer4j.bench;

import io.steer4j.cli.Steer4jCli;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command runs end to end with small settings and prints every section's figures. */
class BenchCommandTest {
    @Test
    void benchPrintsGenerationBatchAndExtractionFiguresAndAJsonReport() {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Steer4jCli.commandLine().execute("bench", "--model", TinyModel.dir().toString(),
                    "--new-tokens", "4", "--runs", "1", "--batches", "1,2", "--pairs", "4",
                    "--threads", "1,2", "--sections", "generation,batch,threads,extraction,memory");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("steered, all 3 layers"), out);
        assertTrue(out.contains("batch   2:"), out);
        assertTrue(out.contains("pairs/s"), out);
        assertTrue(out.contains(" 2 threads:"), out);
        assertTrue(out.contains("\"generation_batch1\""), out);
    }

    @Test
    void anUnknownModelFolderFailsWithExitOne() {
        int code = Steer4jCli.commandLine().execute("bench", "--model", "/no/such/model", "--runs", "1");
        assertTrue(code == 1 || code == 2, "exit " + code);
    }
}
