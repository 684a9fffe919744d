package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.Goldens;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity of the Llama-family (llama with GQA, llama3 rope scaling + explicit head_dim + tied head, qwen2 with q/k/v
 * biases and one key/value head) and GPT-NeoX (partial rotary, parallel residual) forward passes with the independent
 * float64 PyTorch references ({@code src-test-fixtures/python/reference_llama.py}, {@code reference_neox.py}) on
 * tiny random checkpoints ({@link TinyFamily}): every hook point at every layer, logits, greedy continuations (KV
 * cache), cached vs full logits, a steered pass and a left-padded batch. Each model is loaded once.
 */
class FamilyParityTest {
    private static final double TOL = 1e-4;
    private static final Map<TinyFamily, LanguageModel> MODELS = new EnumMap<>(TinyFamily.class);
    private static Path root;

    @BeforeAll
    static void load() throws IOException {
        root = Files.createTempDirectory("steer4j-families");
        for (TinyFamily f : TinyFamily.values()) {
            MODELS.put(f, LanguageModel.load(f.writeCheckpoint(root.resolve(f.id()))));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    static double maxAbsDiff(float[][] expected, float[] actualFlat, String what) {
        return HookCapture.maxAbsDiff(expected, actualFlat, what);
    }

    static long[] toLong(int[] a) {
        return HookCapture.toLong(a);
    }

    private static GenerationConfig greedy(int n) {
        return GenerationConfig.builder().maxNewTokens(n).stopAtEos(false).build();
    }

    @ParameterizedTest
    @EnumSource(TinyFamily.class)
    void configDescribesTheFixture(TinyFamily f) {
        ModelConfig c = MODELS.get(f).config();
        assertEquals(3, c.numLayers());
        assertEquals(f.hiddenSize(), c.hiddenSize());
        switch (f) {
            case LLAMA -> assertEquals(List.of(4, 2, 8, 8), List.of(c.numHeads(), c.numKvHeads(), c.headDim(), c.rope().dims()));
            case LLAMA3 -> {
                assertEquals(List.of(4, 2, 16), List.of(c.numHeads(), c.numKvHeads(), c.headDim()));
                assertEquals("llama3", c.rope().scaling());
                assertTrue(c.tieWordEmbeddings());
            }
            case QWEN2 -> {
                assertEquals(1, c.numKvHeads());
                assertTrue(c.qkvBias() && !c.outputBias());
                assertEquals("linear", c.rope().scaling());
                assertEquals(64, c.contextLength(), "sliding_window is ignored when use_sliding_window is false");
            }
            case NEOX -> {
                assertEquals(List.of(3, 16, 4), List.of(c.numHeads(), c.headDim(), c.rope().dims()));
                assertTrue(c.parallelResidual());
                assertEquals("gelu", c.activation());
            }
            default -> throw new IllegalStateException();
        }
    }

    @ParameterizedTest
    @EnumSource(TinyFamily.class)
    void everyHookPointAndTheLogitsMatchTheReference(TinyFamily f) {
        LanguageModel model = MODELS.get(f);
        Goldens g = f.goldens();
        double worst = 0;
        double worstLogits = 0;
        for (Goldens.Sequence seq : g.sequences()) {
            long[] ids = toLong(seq.tokens());
            HookCapture.Captured c = HookCapture.run(model, ids, List.of(HookPoint.values()));
            Map<HookPoint, float[][]> captured = c.activations();
            float[] logits = c.logits();
            for (HookPoint p : HookPoint.values()) {
                for (int l = 0; l < model.numLayers(); l++) {
                    double diff = maxAbsDiff(seq.activation(p.id(), l), captured.get(p)[l], p + " " + l);
                    worst = Math.max(worst, diff);
                    assertTrue(diff <= TOL, f + " " + p + " layer " + l + " max |diff| " + diff);
                }
            }
            double ld = maxAbsDiff(seq.logits(), logits, "logits");
            worstLogits = Math.max(worstLogits, ld);
            assertTrue(ld <= TOL, f + " logits max |diff| " + ld);
        }
        System.out.printf("parity %s: hidden states max |diff| %.2e (every hook point and layer), logits %.2e%n",
                f.id(), worst, worstLogits);
    }

    @ParameterizedTest
    @EnumSource(TinyFamily.class)
    void greedyContinuationsAndALeftPaddedBatchEqualTheReference(TinyFamily f) {
        LanguageModel model = MODELS.get(f);
        Goldens g = f.goldens();
        Generator gen = new Generator(model);
        // The three single-row cases decoded together (left-padded to 20 tokens): a third of the decode steps, and
        // padding must not change any row's continuation.
        List<long[]> prompts = g.sequences().stream().map(seq -> toLong(seq.tokens())).toList();
        List<GenerationResult> together = gen.generate(prompts, greedy(g.newTokens()), HookSet.NONE,
                TokenListener.NONE, CancellationToken.NEVER);
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(toLong(g.sequences().get(i).greedy().tokens()), together.get(i).tokens(),
                    f + " greedy from " + prompts.get(i).length + " tokens");
        }
        Goldens.Batch b = g.batch();
        List<long[]> rows = new ArrayList<>();
        for (int[] r : b.rows()) {
            rows.add(toLong(r));
        }
        float[] last = HookCapture.batchLastLogits(model, b);
        double d = maxAbsDiff(b.lastLogits(), last, "batch last logits");
        System.out.printf("parity %s: left-padded batch last logits max |diff| %.2e%n", f.id(), d);
        assertTrue(d <= TOL, f + " batch max |diff| " + d);
        List<GenerationResult> res = gen.generate(rows, greedy(b.greedy().tokens()[0].length), HookSet.NONE,
                TokenListener.NONE, CancellationToken.NEVER);
        for (int i = 0; i < rows.size(); i++) {
            assertArrayEquals(toLong(b.greedy().tokens()[i]), res.get(i).tokens(), f + " batch row " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(TinyFamily.class)
    void aSteeredPassMatchesTheReferenceAddition(TinyFamily f) {
        LanguageModel model = MODELS.get(f);
        Goldens g = f.goldens();
        Goldens.Steering s = g.steering();
        Goldens.Sequence seq = g.sequences().get(2);
        long[] ids = toLong(seq.tokens());
        try (NDManager m = model.newCallManager()) {
            NDArray v = m.create(s.vector()).mul(s.alpha());
            HookSet hooks = HookSet.builder().add(HookPoint.parse(s.point()), s.layer(), (site, x) -> x.add(v)).build();
            float[] logits = model.forward(ForwardInput.leftPadded(m, List.of(ids), 0, new int[] {ids.length}), null,
                    hooks, LogitsMode.ALL).toFloatArray();
            double ld = maxAbsDiff(seq.steered().logits(), logits, "steered logits");
            assertTrue(ld <= TOL, f + " steered logits max |diff| " + ld);
            long[] greedy = new Generator(model).generate(List.of(ids), greedy(g.newTokens()), hooks,
                    TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
            assertArrayEquals(toLong(seq.steered().greedy().tokens()), greedy, f + " steered greedy");
        }
    }

    /** Decoding one token at a time through the KV cache (RoPE at the cached offset) equals a full pass. */
    @ParameterizedTest
    @EnumSource(TinyFamily.class)
    void cachedDecodingGivesTheLogitsOfAFullPass(TinyFamily f) {
        LanguageModel model = MODELS.get(f);
        Goldens.Sequence seq = f.goldens().sequences().get(2);
        long[] ids = toLong(seq.tokens());
        int prefix = 9;
        try (NDManager m = model.newCallManager()) {
            KvCache cache = model.newCache(m, 1);
            int[] lens = {prefix};
            model.forward(ForwardInput.leftPadded(m, List.of(Arrays.copyOf(ids, prefix)), 0, lens), cache,
                    HookSet.NONE, LogitsMode.LAST);
            double worst = 0;
            for (int i = prefix; i < ids.length; i++) {
                float[] step = model.forward(ForwardInput.step(m, new long[] {ids[i]}, lens), cache, HookSet.NONE,
                        LogitsMode.LAST).toFloatArray();
                worst = Math.max(worst, maxAbsDiff(new float[][] {seq.logits()[i]}, step, "step " + i));
            }
            assertTrue(worst <= TOL, f + " cached vs reference logits max |diff| " + worst);
        }
    }

    /**
     * With a parallel residual (NeoX) attention and MLP read the same block input, so changing {@code attn_out}
     * leaves that block's {@code mlp_out} alone; sequentially (Llama) the MLP sees the change.
     */
    @ParameterizedTest
    @EnumSource(value = TinyFamily.class, names = {"LLAMA", "NEOX"})
    void attnOutReachesTheSameBlocksMlpOnlyWithASequentialResidual(TinyFamily f) {
        LanguageModel model = MODELS.get(f);
        long[] ids = toLong(f.goldens().sequences().get(1).tokens());
        float[][] mlp = new float[2][];
        for (int run = 0; run < 2; run++) {
            final int r = run;
            HookSet.Builder hooks = HookSet.builder()
                    .add(HookPoint.MLP_OUT, 1, (site, x) -> {
                        mlp[r] = x.toFloatArray();
                        return x;
                    });
            if (run == 1) {
                hooks.add(HookPoint.ATTN_OUT, 1, (site, x) -> x.mul(3f));
            }
            try (NDManager m = model.newCallManager()) {
                model.forward(ForwardInput.leftPadded(m, List.of(ids), 0, new int[] {ids.length}), null, hooks.build(),
                        LogitsMode.NONE);
            }
        }
        boolean same = Arrays.equals(mlp[0], mlp[1]);
        assertEquals(model.config().parallelResidual(), same, f + ": mlp_out unchanged by an attn_out hook");
    }
}
