package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.Generator;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.fixtures.Goldens;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with an independent GPT-2 written in plain PyTorch ({@code src-test-fixtures/python/reference_gpt2.py},
 * float64), on the tiny random checkpoints stored as F32, F16 and BF16: every hook point at every layer, logits,
 * greedy continuations, a steered pass, and a left-padded batch.
 */
class Gpt2ParityTest {
    private static final double TOL = 1e-4;

    @TempDir
    Path tmp;

    private static double maxAbsDiff(float[][] expected, float[] actualFlat, String what) {
        return HookCapture.maxAbsDiff(expected, actualFlat, what);
    }

    private static long[] toLong(int[] a) {
        return HookCapture.toLong(a);
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"F32", "F16", "BF16"})
    void everyHookPointAndTheLogitsMatchTheReference(SafetensorsDtype dtype) throws Exception {
        Goldens g = Goldens.gpt2Tiny(dtype);
        Path dir = g.writeCheckpoint(tmp.resolve("ckpt"));
        checkActivationsAndLogits(g, dir, dtype == SafetensorsDtype.F32, TOL, dtype.name());
    }

    /** Compares every captured hook point (or resid_post only) and all logits with the goldens. */
    static void checkActivationsAndLogits(Goldens g, Path dir, boolean full, double tol, String label) {
        String dtype = label;
        double TOL = tol;
        try (LanguageModel model = LanguageModel.load(dir)) {
            assertEquals(g.checkpoint().nLayer(), model.numLayers());
            double worst = 0;
            for (Goldens.Sequence seq : g.sequences()) {
                long[] ids = toLong(seq.tokens());
                List<HookPoint> points = full ? List.of(HookPoint.values()) : List.of(HookPoint.RESID_POST);
                HookCapture.Captured c = HookCapture.run(model, ids, points);
                Map<HookPoint, float[][]> captured = c.activations();
                float[] logits = c.logits();
                for (HookPoint p : points) {
                    for (int l = 0; l < model.numLayers(); l++) {
                        double diff = maxAbsDiff(seq.activation(p.id(), l), captured.get(p)[l], p + " " + l);
                        worst = Math.max(worst, diff);
                        assertTrue(diff <= TOL, dtype + " " + p + " layer " + l + " max |diff| " + diff);
                    }
                }
                double ld = maxAbsDiff(seq.logits(), logits, "logits");
                System.out.printf("parity %s, %d tokens: logits max |diff| %.2e%n", dtype, seq.length(), ld);
                assertTrue(ld <= TOL, dtype + " logits max |diff| " + ld);
            }
            System.out.printf("parity %s: hidden states max |diff| %.2e over every hook point and layer%n", dtype, worst);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"F32", "F16", "BF16"})
    void greedyContinuationsEqualTheReference(SafetensorsDtype dtype) throws Exception {
        Goldens g = Goldens.gpt2Tiny(dtype);
        checkGreedy(g, g.writeCheckpoint(tmp.resolve("ckpt")), dtype.name());
    }

    /** Greedy continuations of every golden sequence, token for token. */
    static void checkGreedy(Goldens g, Path dir, String dtype) {
        try (LanguageModel model = LanguageModel.load(dir)) {
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(g.newTokens()).stopAtEos(false).build();
            for (Goldens.Sequence seq : g.sequences()) {
                long[] got = new Generator(model).generate(List.of(toLong(seq.tokens())), cfg, HookSet.NONE,
                        TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
                assertArrayEquals(toLong(seq.greedy().tokens()), got, dtype + " greedy from " + seq.length() + " tokens");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"F32", "F16", "BF16"})
    void aSteeredPassMatchesTheReferenceAddition(SafetensorsDtype dtype) throws Exception {
        Goldens g = Goldens.gpt2Tiny(dtype);
        Path dir = g.writeCheckpoint(tmp.resolve("ckpt"));
        Goldens.Steering s = g.steering();
        try (LanguageModel model = LanguageModel.load(dir)) {
            for (Goldens.Sequence seq : g.sequences()) {
                long[] ids = toLong(seq.tokens());
                float[] logits;
                try (NDManager m = model.newCallManager()) {
                    NDArray v = m.create(s.vector()).mul(s.alpha());
                    HookSet hooks = HookSet.builder().add(HookPoint.parse(s.point()), s.layer(), (site, x) -> x.add(v))
                            .build();
                    logits = model.forward(ForwardInput.leftPadded(m, List.of(ids), 0, new int[] {ids.length}), null,
                            hooks, LogitsMode.ALL).toFloatArray();
                    long[] greedy = new Generator(model).generate(List.of(ids),
                            GenerationConfig.builder().maxNewTokens(g.newTokens()).stopAtEos(false).build(),
                            hooks, TokenListener.NONE, CancellationToken.NEVER).get(0).tokens();
                    assertArrayEquals(toLong(seq.steered().greedy().tokens()), greedy, dtype + " steered greedy");
                }
                double ld = maxAbsDiff(seq.steered().logits(), logits, "steered logits");
                assertTrue(ld <= TOL, dtype + " steered logits max |diff| " + ld);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = SafetensorsDtype.class, names = {"F32", "F16", "BF16"})
    void aLeftPaddedBatchMatchesTheReferenceRowByRow(SafetensorsDtype dtype) throws Exception {
        Goldens g = Goldens.gpt2Tiny(dtype);
        Path dir = g.writeCheckpoint(tmp.resolve("ckpt"));
        Goldens.Batch b = g.batch();
        try (LanguageModel model = LanguageModel.load(dir)) {
            List<long[]> rows = new ArrayList<>();
            for (int[] r : b.rows()) {
                rows.add(toLong(r));
            }
            float[] last = HookCapture.batchLastLogits(model, b);
        double d = maxAbsDiff(b.lastLogits(), last, "batch last logits");
            assertTrue(d <= TOL, dtype + " batch max |diff| " + d);
            List<io.steer4j.djl.generation.GenerationResult> res = new Generator(model).generate(rows,
                    GenerationConfig.builder().maxNewTokens(b.greedy().tokens()[0].length).stopAtEos(false).build(),
                    HookSet.NONE, TokenListener.NONE, CancellationToken.NEVER);
            for (int i = 0; i < rows.size(); i++) {
                assertArrayEquals(toLong(b.greedy().tokens()[i]), res.get(i).tokens(), dtype + " batch row " + i);
            }
        }
    }
}
