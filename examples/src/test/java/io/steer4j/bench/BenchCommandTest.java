package io.steer4j.bench;

import io.steer4j.cli.Steer4jCli;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench command runs end to end with small settings and prints every section's figures. */
class BenchCommandTest {
    @Test
    void benchPrintsGenerationBatchAndExtractionFiguresAndAJsonReport() {
        BenchRun run = BenchRun.of("bench", "--model", TinyModel.dir().toString(),
                    "--new-tokens", "4", "--runs", "1", "--batches", "1,2", "--pairs", "4",
                    "--threads", "1,2", "--sections", "generation,batch,threads,extraction,memory");
        int code = run.code();
        String out = run.out();
        assertEquals(0, code, out);
        assertTrue(out.contains("steered, all 3 layers"), out);
        assertTrue(out.contains("batch   2:"), out);
        assertTrue(out.contains("pairs/s"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("  2 +[0-9.]+ +[0-9.]+ +[0-9.]+ +runs .*")),
                "a threads row with both modes and their ratio:\n" + out);
        assertTrue(out.contains("\"continuous_batching\""), out);
        assertTrue(out.contains("\"generation_batch1\""), out);
    }

    @Test
    void profileWritesATraceAndSummarisesItByOperator(@TempDir Path tmp) throws Exception {
        Path trace = tmp.resolve("trace.json");
        BenchRun run = BenchRun.of("bench", "--model", TinyModel.dir().toString(),
                    "--new-tokens", "3", "--runs", "1", "--sections", "none", "--profile", trace.toString());
        int code = run.code();
        String out = run.out();
        assertEquals(0, code, out);
        assertTrue(Files.size(trace) > 0, "trace written");
        List<OpProfile.Row> rows = OpProfile.summarize(trace);
        // the tiny model (hidden 32, 4x MLP) multiplies by its fused q|k|v weight once per layer per step
        OpProfile.Row qkv = rows.stream().filter(r -> r.name().equals("aten::addmm [32, 96]")).findFirst()
                .orElseThrow(() -> new AssertionError(rows.toString()));
        assertEquals(3 * 3, qkv.calls(), "3 layers x 3 passes (the prompt pass yields the first token)");
        assertTrue(out.contains("products with weights"), out);
    }

    @Test
    void theSummaryCountsOnlyTopLevelOperatorsAndNamesProductsByTheirWeight(@TempDir Path tmp) throws Exception {
        Path trace = tmp.resolve("t.json");
        Files.writeString(trace, """
                [
                {"name": "aten::addmm", "ph": "X", "ts": 0, "dur": 100, "tid": 1,
                 "shape": [[8], [1, 4], [4, 8], [], []]},
                {"name": "aten::mm", "ph": "X", "ts": 10, "dur": 80, "tid": 1, "shape": [[1, 4], [4, 8]]},
                {"name": "aten::matmul", "ph": "X", "ts": 200, "dur": 30, "tid": 1,
                 "shape": [[1, 2, 1, 4], [1, 2, 4, 5]]},
                {"name": "aten::add", "ph": "X", "ts": 300, "dur": 5, "tid": 1, "shape": []},
                {"name": "aten::add", "ph": "X", "ts": 310, "dur": 7, "tid": 1, "shape": []}
                ]
                """);
        List<OpProfile.Row> rows = OpProfile.summarize(trace);
        assertEquals(List.of("aten::addmm [4, 8]", "aten::matmul (attention)", "aten::add"),
                rows.stream().map(OpProfile.Row::name).toList(), "the nested mm is not counted again");
        assertEquals(12.0, rows.get(2).totalUs());
        assertEquals(2, rows.get(2).calls());
        assertTrue(OpProfile.isWeightProduct(rows.get(0).name()));
        assertTrue(!OpProfile.isWeightProduct(rows.get(1).name()));
    }

    @Test
    void anUnknownModelFolderFailsWithExitOne() {
        int code = Steer4jCli.commandLine().execute("bench", "--model", "/no/such/model", "--runs", "1");
        assertTrue(code == 1 || code == 2, "exit " + code);
    }
}
