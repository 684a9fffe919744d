package io.steer4j.bench;

import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The peer section without llama.cpp installed (a stand-in for its node script checks what the section does with
 * a peer's output and environment), and the GGUF converter's output layout. That llama.cpp loads the
 * converted file and decodes the same greedy ids is checked by the section itself when the peer is installed.
 */
class PeerSectionTest {
    @Test
    void withoutThePeerInstalledTheSectionSaysSoAndSkips(@TempDir Path empty) {
        BenchRun run = BenchRun.of("bench", "--model", TinyModel.dir().toString(),
                    "--runs", "1", "--sections", "peer", "--peer", empty.toString());
        int code = run.code();
        String out = run.out();
        assertEquals(0, code, out);
        assertTrue(out.contains("node-llama-cpp is not installed"), out);
        assertTrue(out.contains("\"skipped\""), out);
    }

    @Test
    void theNodeChildRunsWithOneLibuvWorker() {
        assertEquals(Map.of("UV_THREADPOOL_SIZE", "1"), PeerSection.nodeEnvironment());
    }

    @Test
    void bothSteer4jChildrenGetTheBenchsThreadCountOnBothEnginesAndOnlyTheJavaOneTheModule() {
        List<String> j = PeerSection.steer4jCommand("java", 640L << 20, 3, CpuEngine.JAVA, "cp", List.of("a"));
        List<String> t = PeerSection.steer4jCommand("java", 640L << 20, 3, CpuEngine.LIBTORCH, "cp", List.of("a"));
        for (List<String> c : List.of(j, t)) {
            assertTrue(c.contains("-Xmx640m") && c.contains("-Dsteer4j.cpu.threads=3")
                    && c.contains("-Dai.djl.pytorch.num_threads=3"), c.toString());
            assertEquals(List.of(PeerChild.class.getName(), "a"), c.subList(c.size() - 2, c.size()));
        }
        assertTrue(j.contains("jdk.incubator.vector"), j.toString());
        assertFalse(t.contains("jdk.incubator.vector"), t.toString());
    }

    @Test
    void bothSteer4jChildrenRunUnderTheCollectorAndHeapSizingTheBenchWasGiven() {
        for (CpuEngine e : CpuEngine.values()) {
            List<String> c = PeerSection.steer4jCommand("java", 640L << 20, 2, e, "cp", List.of("a"),
                    List.of("-XX:+UseSerialGC", "-Xmn64m", "-XX:MinHeapFreeRatio=10", "-Dx=y"));
            assertTrue(c.contains("-XX:+UseSerialGC") && c.contains("-Xmn64m")
                    && c.contains("-XX:MinHeapFreeRatio=10"), c.toString());
            assertFalse(c.contains("-Dx=y"), c.toString());
        }
    }

    @Test
    void llamaCppGetsTheMatricesInTheCheckpointsOwnType(@TempDir Path tmp) throws IOException {
        Path f32 = io.steer4j.fixtures.TinyCheckpoints.gpt2(tmp.resolve("f32"));
        Path bf16 = io.steer4j.fixtures.TinyCheckpoints.gpt2(tmp.resolve("bf16"),
                io.steer4j.core.format.safetensors.SafetensorsDtype.BF16);
        Path f16 = io.steer4j.fixtures.TinyCheckpoints.gpt2(tmp.resolve("f16"),
                io.steer4j.core.format.safetensors.SafetensorsDtype.F16);
        assertEquals(io.steer4j.core.format.gguf.GgmlType.F32, PeerSection.storedType(f32));
        assertEquals(io.steer4j.core.format.gguf.GgmlType.BF16, PeerSection.storedType(bf16));
        assertEquals(io.steer4j.core.format.gguf.GgmlType.F16, PeerSection.storedType(f16));
    }

    @Test
    void thePeerIsTimedByLlamaCppsOwnClockWhenItsScriptReportsIt() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        PeerSection.Run r = PeerSection.fromJson(json.readTree("{\"prompt_ms\":5.0,\"decode_tokens_per_s\":1500.0,"
                + "\"own_prompt_ms\":2.0,\"own_decode_tokens_per_s\":2900.0,\"ids\":[1,2]}"));
        assertEquals(2900.0, r.decodeTokensPerS());
        assertEquals(2.0, r.promptMs());
        assertEquals(1500.0, r.clientDecodeTokensPerS());
    }

    @Test
    void withoutLlamaCppsOwnTimingThePeerIsTimedByNodesClock() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        PeerSection.Run r = PeerSection.fromJson(json.readTree("{\"prompt_ms\":5.0,\"decode_tokens_per_s\":1500.0,"
                + "\"own_prompt_ms\":null,\"own_decode_tokens_per_s\":null,\"ids\":[1,2]}"));
        assertEquals(1500.0, r.decodeTokensPerS());
        assertEquals(5.0, r.promptMs());
    }

    @Test
    void idsAreComparedInEveryGenerationOfEveryRound() {
        long[] ref = {5, 6, 7};
        PeerSection.Run same = new PeerSection.Run(1, 1, ref.clone());
        PeerSection.Side ok = new PeerSection.Side("steer4j java", 0, 1, List.of(same, same, same), List.of(), 1);
        PeerSection.Side bad = new PeerSection.Side("steer4j libtorch", 2, 1,
                List.of(same, same, new PeerSection.Run(1, 1, new long[] {5, 6, 8})), List.of(), 1);
        assertEquals(List.of(), PeerSection.idMismatches(ref, List.of(ok)));
        assertEquals(List.of("steer4j libtorch, round 2, generation 2: position 2 is 8 (llama.cpp: 7)"),
                PeerSection.idMismatches(ref, List.of(ok, bad)));
    }

    /**
     * Where llama.cpp's ids part from steer4j's greedy ones, the report gives steer4j's logits at that position:
     * its own token there is its argmax, so the gap to llama.cpp's token is positive, and both logits are the ones
     * the model gives after the prompt and steer4j's tokens before that position.
     */
    @Test
    void thePartingGivesSteer4jsLogitsForBothTokensWhereTheIdsFirstDiffer() {
        long[] prompt = {3, 1, 4, 1, 5};
        try (LanguageModel lm = LanguageModel.load(TinyModel.dir())) {
            long[] ours = SteeredModel.builder(lm).build().generateBatchIds(List.of(prompt),
                    GenerationConfig.builder().maxNewTokens(6).stopAtEos(false).build(),
                    List.of(SteeringPlan.NONE), TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
            long[] theirs = ours.clone();
            theirs[3] = (ours[3] + 1) % lm.config().vocabSize();
            theirs[4] = ours[4]; // later agreement does not matter: the first parting is reported

            PeerSection.Parting p = PeerSection.parting(lm, prompt, ours, theirs);

            assertEquals(3, p.position());
            assertEquals(ours[3], p.steer4jId());
            assertEquals(theirs[3], p.llamaId());
            assertTrue(p.gap() > 0, "steer4j's greedy token is its argmax: " + p);
            assertEquals(null, PeerSection.parting(lm, prompt, ours, ours.clone()));
        }
    }

    @Test
    void aLaterRoundsMismatchFailsTheSectionAndTheNodeChildHadOneLibuvWorker(@TempDir Path tmp) throws Exception {
        long[] prompt = {3, 1, 4, 1, 5};
        int newTokens = 6;
        Path peer = Files.createDirectories(tmp.resolve("peer/node_modules/node-llama-cpp")).getParent().getParent();
        Path script = Files.writeString(tmp.resolve("llama-peer.mjs"), "// stand-in, run by FakeLlamaPeer");
        try (LanguageModel lm = LanguageModel.load(TinyModel.dir())) {
            long[] ids = SteeredModel.builder(lm).build().generateBatchIds(List.of(prompt),
                    GenerationConfig.builder().maxNewTokens(newTokens).stopAtEos(false).build(),
                    List.of(SteeringPlan.NONE), TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
            long[] wrong = ids.clone();
            wrong[wrong.length - 1] = (wrong[wrong.length - 1] + 1) % lm.config().vocabSize();
            Files.writeString(peer.resolve("ids-0.txt"), join(ids));
            Files.writeString(peer.resolve("ids-1.txt"), join(wrong));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            PeerSection section = new PeerSection(lm, peer, script, prompt, newTokens, 2,
                    List.of(java, "-cp", System.getProperty("java.class.path"), FakeLlamaPeer.class.getName()));
            PeerMismatchException e = assertThrows(PeerMismatchException.class, section::run);
            assertTrue(e.getMessage().contains("in 3 generation(s)"), "llama.cpp's three of round 1: "
                    + e.getMessage());
            assertTrue(e.getMessage().contains("llama.cpp, round 1, generation 0: position " + (newTokens - 1)),
                    e.getMessage());
        }
        assertEquals("1", Files.readString(peer.resolve("uv-threadpool-size")));
    }

    private static String join(long[] ids) {
        return java.util.Arrays.stream(ids).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(","));
    }

    @Test
    void theGpt2CheckpointBecomesAGgufV3WithLlamaCppTensorNames(@TempDir Path tmp) throws IOException {
        Path gguf = tmp.resolve("m.gguf");
        GgufModelWriter.convert(TinyModel.dir(), gguf);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(gguf)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("GGUF", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt());
        String text = new String(Files.readAllBytes(gguf), StandardCharsets.ISO_8859_1);
        for (String name : new String[] {"gpt2.block_count", "token_embd.weight", "position_embd.weight",
                "output.weight", "blk.0.attn_qkv.weight", "blk.2.ffn_down.bias", "tokenizer.ggml.tokens"}) {
            assertTrue(text.contains(name), name);
        }
    }

    @Test
    void aFamilyTheConverterDoesNotWriteIsRefusedByName(@TempDir Path tmp) throws IOException {
        Path dir = io.steer4j.fixtures.TinyFamily.NEOX.writeCheckpoint(tmp.resolve("neox"));
        IOException e = assertThrows(IOException.class, () -> GgufModelWriter.convert(dir, tmp.resolve("x.gguf")));
        assertTrue(e.getMessage().contains("gpt_neox"), e.getMessage());
    }
}
