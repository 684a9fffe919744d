package io.steer4j.djl.encoder;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.model.SentencePooling;
import io.steer4j.djl.steering.ReadPosition;
import io.steer4j.djl.steering.SteeredEncoder;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.djl.steering.TokenStates;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The encoder API on the real all-MiniLM-L6-v2: pooling, batching, hook numbering, plans, threads, vectors. */
class SteeredEncoderTest {
    private static EncoderModel model;
    private static SteeredEncoder encoder;
    private static OnnxMiniLm onnx;

    @BeforeAll
    static void load() throws Exception {
        model = EncoderModel.load(RealModels.require("all-minilm-l6-v2"));
        encoder = SteeredEncoder.of(model);
        onnx = new OnnxMiniLm(2);
    }

    @AfterAll
    static void close() throws Exception {
        model.close();
        onnx.close();
    }

    @Test
    void folderDeclaresNormalisedMeanPoolingAt256Tokens() {
        assertEquals(new SentencePooling(SentencePooling.Mode.MEAN, true, 256), model.pooling());
    }

    @Test
    void embeddingsEqualNormalisedMeanOfOnnxRuntimeTokenStates() throws Exception {
        List<String> texts = MiniLmParityTest.SENTENCES.subList(0, 8);
        float[][] ours = encoder.embed(texts, SteeringPlan.NONE);
        for (int i = 0; i < texts.size(); i++) {
            long[] ids = model.tokenizer().encode(texts.get(i));
            float[][] states = onnx.lastHiddenState(List.of(ids))[0];
            double[] mean = new double[model.hiddenSize()];
            for (float[] s : states) {
                for (int d = 0; d < mean.length; d++) {
                    mean[d] += s[d] / states.length;
                }
            }
            double norm = Math.sqrt(java.util.Arrays.stream(mean).map(v -> v * v).sum());
            for (int d = 0; d < mean.length; d++) {
                assertEquals(mean[d] / norm, ours[i][d], 1e-5, "text " + i + " dim " + d);
            }
        }
    }

    @Test
    void batchedEmbeddingsEqualOneByOneInInputOrder() {
        List<String> texts = MiniLmParityTest.SENTENCES;
        float[][] batched = encoder.withBatchSize(7).embed(texts, SteeringPlan.NONE);
        for (int i = 0; i < texts.size(); i += 5) {
            float[] alone = encoder.embed(texts.get(i), SteeringPlan.NONE);
            assertArrayEquals(alone, batched[i], 1e-5f, "text " + i);
        }
    }

    @Test
    void textsLongerThanMaxSeqLengthAreTruncatedBeforeSep() {
        String longText = "word ".repeat(400);
        float[] e = encoder.embed(longText, SteeringPlan.NONE);
        float[] cut = encoder.embed("word ".repeat(254), SteeringPlan.NONE);
        assertArrayEquals(cut, e, 1e-5f);
    }

    @Test
    void residPostOfTheLastLayerIsTheLastHiddenStateAndResidPreIsThePreviousResidPost() {
        long[] ids = model.tokenizer().encode("Layer numbering is pinned here.");
        float[][] captured = new float[3][];
        HookSet hooks = HookSet.builder()
                .add(HookPoint.RESID_POST, 5, (s, x) -> { captured[0] = x.toFloatArray(); return x; })
                .add(HookPoint.RESID_POST, 2, (s, x) -> { captured[1] = x.toFloatArray(); return x; })
                .add(HookPoint.RESID_PRE, 3, (s, x) -> { captured[2] = x.toFloatArray(); return x; })
                .build();
        float[] last;
        try (NDManager m = model.newCallManager()) {
            last = model.compute(() -> model.forward(m, List.of(ids), hooks).toFloatArray());
        }
        assertArrayEquals(last, captured[0], 0f);
        assertArrayEquals(captured[1], captured[2], 0f);
    }

    @Test
    void zeroStrengthPlanChangesNothingAndAnAddedDirectionMovesTheEmbeddingTowardIt() {
        float[] dir = encoder.embed("This is wonderful, I love it.", SteeringPlan.NONE);
        SteeringVector v = vectorOf(dir, 3);
        String text = "The meeting is at noon.";
        float[] plain = encoder.embed(text, SteeringPlan.NONE);
        assertArrayEquals(plain, encoder.embed(text, SteeringPlan.of(v, 0.0)), 0f);
        float[] steered = encoder.embed(text, SteeringPlan.of(v, 8.0));
        assertTrue(dot(steered, dir) > dot(plain, dir) + 0.05,
                "cosine to the direction " + dot(plain, dir) + " -> " + dot(steered, dir));
    }

    @Test
    void projectingOutAtEveryLayerRemovesTheDirectionFromTokenStates() {
        float[] dir = encoder.embed("Sports news: the team won the final.", SteeringPlan.NONE);
        SteeringPlan.Builder b = SteeringPlan.builder();
        b.add(new Intervention(5, HookPoint.RESID_POST, dir, 0.0, TokenScope.all(), InterventionOperator.ABLATE,
                false));
        List<TokenStates> states = encoder.hiddenStates(List.of("He scored twice in the match."), b.build());
        for (float[] s : states.get(0).states()) {
            assertEquals(0.0, dot(s, dir) / Math.sqrt(dot(s, s)), 1e-4);
        }
    }

    @Test
    void concurrentCallsWithDifferentPlansGiveTheirOwnResults() throws Exception {
        float[] dir = encoder.embed("Terrible, awful, I hate it.", SteeringPlan.NONE);
        SteeringVector v = vectorOf(dir, 2);
        List<String> texts = MiniLmParityTest.SENTENCES.subList(0, 6);
        float[][] plain = encoder.embed(texts, SteeringPlan.NONE);
        float[][] steered = encoder.embed(texts, SteeringPlan.of(v, 6.0));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[][]>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                SteeringPlan p = i % 2 == 0 ? SteeringPlan.NONE : SteeringPlan.of(v, 6.0);
                fs.add(pool.submit(() -> encoder.embed(texts, p)));
            }
            for (int i = 0; i < fs.size(); i++) {
                float[][] got = fs.get(i).get();
                float[][] want = i % 2 == 0 ? plain : steered;
                for (int r = 0; r < texts.size(); r++) {
                    assertArrayEquals(want[r], got[r], 1e-6f, "call " + i + " row " + r);
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void vectorComputerReadsClsMeanAndNamedTokenOnEncoders() {
        ContrastiveDataset ds = new ContrastiveDataset("mood", List.of(
                new ContrastivePair("I am so happy today.", "I am so sad today."),
                new ContrastivePair("What a delightful surprise today.", "What a miserable surprise today.")));
        for (ReadPosition read : List.of(ReadPosition.cls(), ReadPosition.mean(), ReadPosition.token("today"))) {
            SteeringVector v = SteeringVectorComputer.builder(model).layers(2, 4).readPosition(read).build()
                    .compute(ds).vector();
            assertEquals(java.util.Set.of(2, 4), v.layers());
            assertEquals(384, v.hiddenSize());
            assertTrue(v.norm(4) > 0, read.id());
        }
        assertThrows(IllegalArgumentException.class, () -> SteeringVectorComputer.builder(model)
                .readPosition(ReadPosition.token("zebra")).build().compute(ds));
    }

    @Test
    void layerOutsideTheModelIsRefusedNamingTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> encoder.embed("x", SteeringPlan.of(vectorOf(unit(), 6), 1.0)));
        assertTrue(e.getMessage().contains("6"), e.getMessage());
    }

    private static float[] unit() {
        float[] u = new float[384];
        u[0] = 1;
        return u;
    }

    static SteeringVector vectorOf(float[] dir, int layer) {
        return new SteeringVector(java.util.Map.of(layer, dir),
                io.steer4j.core.vector.VectorMetadata.builder().hiddenSize(dir.length).build());
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
