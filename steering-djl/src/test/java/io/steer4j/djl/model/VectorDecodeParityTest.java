package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.hook.HookPoint;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.TinyCheckpoints;
import io.steer4j.fixtures.TinyFamily;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API decode path ({@link VectorDecoder}) against the libtorch pass, which the parity tests hold to the
 * independent PyTorch references: same logits at every step of a cached generation (prompt pass and decode steps),
 * with hooks changing every hook point and others reading them, for a tiny checkpoint of each family and the real
 * stories260k; and a cache that alternates between the paths continues as if one path had filled it.
 */
class VectorDecodeParityTest {
    private static final double TOL = 1e-4;
    private static final Map<String, Supplier<Path>> FIXTURES = new LinkedHashMap<>();
    private static final Map<String, LanguageModel> MODELS = new LinkedHashMap<>();
    private static Path root;

    @BeforeAll
    static void write() throws IOException {
        root = Files.createTempDirectory("steer4j-vector");
        FIXTURES.put("gpt2", () -> io(() -> TinyCheckpoints.gpt2(root.resolve("gpt2"))));
        for (TinyFamily f : TinyFamily.values()) {
            FIXTURES.put(f.id(), () -> io(() -> f.writeCheckpoint(root.resolve(f.id()))));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    private interface IoSupplier {
        Path get() throws IOException;
    }

    private static Path io(IoSupplier s) {
        try {
            return s.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<String> fixtures() {
        List<String> ids = new ArrayList<>(List.of("gpt2"));
        for (TinyFamily f : TinyFamily.values()) {
            ids.add(f.id());
        }
        return ids;
    }

    private static LanguageModel model(String id) {
        return MODELS.computeIfAbsent(id, k -> LanguageModel.load(FIXTURES.get(k).get()));
    }

    @Test
    void theBuildRunsTestsWithTheVectorPathOn() {
        assertTrue(VectorSupport.moduleLoaded(), "surefire must pass --add-modules jdk.incubator.vector");
        assertTrue(model("gpt2").vectorDecode());
        System.setProperty(VectorSupport.PROPERTY, "libtorch");
        try {
            assertTrue(!model("gpt2").vectorDecode(), "the property turns the path off");
        } finally {
            System.clearProperty(VectorSupport.PROPERTY);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void hookedGenerationGivesTheLibtorchLogitsAtEveryStep(String id) {
        assertPathsAgree(model(id), new long[] {3, 17, 5, 9, 1, 12, 7}, 10);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void longPromptsTakeTheTokenPanelPathAndGiveTheLibtorchLogits(String id) {
        // 37 tokens: two full 16-token panels and a partial one, past VectorKernels.PANEL_MIN_TOKENS
        long[] prompt = new long[37];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7 + 3) % 20;
        }
        assertTrue(prompt.length >= VectorKernels.PANEL_MIN_TOKENS);
        assertPathsAgree(model(id), prompt, 4);
    }

    @Test
    void stories260kGivesTheLibtorchLogitsAtEveryStep() {
        Path dir = RealModels.require("stories260k");
        try (LanguageModel m = LanguageModel.load(dir)) {
            assertPathsAgree(m, new long[] {1, 403, 407, 261, 378, 365, 287, 300}, 24);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void aCacheAlternatingBetweenThePathsContinuesAsOnePath(String id) {
        LanguageModel m = model(id);
        long[] prompt = {4, 8, 15, 16, 23};
        // libtorch prompt, two Vector steps, two libtorch steps, one Vector step
        String[] order = {"libtorch", "auto", "auto", "libtorch", "libtorch", "auto"};
        List<float[]> mixed = steps(m, prompt, order, HookSet.NONE, null);
        List<float[]> torch = steps(m, prompt, fill(order.length, "libtorch"), HookSet.NONE, null);
        for (int i = 0; i < order.length; i++) {
            assertClose(torch.get(i), mixed.get(i), id + " step " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void aCacheThatGrowsOnBothPathsKeepsEveryHeadsSlots(String id) {
        LanguageModel m = model(id);
        long[] prompt = {4, 8, 15, 16, 23};
        // room for one slot at first: the Java copy regrows (5 -> 10 -> 20) between and after libtorch steps
        String[] order = {"auto", "auto", "libtorch", "auto", "auto", "auto", "auto", "libtorch", "auto", "auto",
            "auto", "auto", "auto"};
        List<float[]> mixed = steps(m, prompt, order, HookSet.NONE, 1);
        List<float[]> torch = steps(m, prompt, fill(order.length, "libtorch"), HookSet.NONE, null);
        for (int i = 0; i < order.length; i++) {
            assertClose(torch.get(i), mixed.get(i), id + " step " + i);
        }
    }

    @Test
    void aCacheThatPrefersJavaLogitsGetsTheSameLogitsFromEitherPath() {
        LanguageModel m = model("gpt2");
        long[] prompt = {4, 8, 15, 16, 23};
        String[] order = {"auto", "auto", "libtorch", "auto", "libtorch", "auto"};
        List<float[]> host = steps(m, prompt, order, HookSet.NONE, null, true);
        List<float[]> torch = steps(m, prompt, fill(order.length, "libtorch"), HookSet.NONE, null);
        for (int i = 0; i < order.length; i++) {
            assertClose(torch.get(i), host.get(i), "step " + i);
        }
    }

    private static String[] fill(int n, String v) {
        String[] a = new String[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Logits (and hook captures) of a prompt pass and {@code steps} greedy steps, on each path, agree. */
    private static void assertPathsAgree(LanguageModel m, long[] prompt, int steps) {
        int hidden = m.hiddenSize();
        float[] vec = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            vec[i] = (float) Math.sin(i * 0.37) * 0.3f;
        }
        int last = m.numLayers() - 1;
        HookSet.Builder b = HookSet.builder();
        for (HookPoint p : HookPoint.values()) {
            b.add(p, 0, (site, x) -> x.add(site.manager().create(vec)));
            b.add(p, last, (site, x) -> x.mul(0.9f));
        }
        List<float[]> capturedVector = new ArrayList<>();
        List<float[]> capturedTorch = new ArrayList<>();
        List<float[]> vector = steps(m, prompt, fill(steps + 1, "auto"), capture(b, last, capturedVector), null);
        b = HookSet.builder();
        for (HookPoint p : HookPoint.values()) {
            b.add(p, 0, (site, x) -> x.add(site.manager().create(vec)));
            b.add(p, last, (site, x) -> x.mul(0.9f));
        }
        List<float[]> torch = steps(m, prompt, fill(steps + 1, "libtorch"), capture(b, last, capturedTorch), null);
        for (int i = 0; i <= steps; i++) {
            assertClose(torch.get(i), vector.get(i), m.modelId() + " step " + i);
        }
        assertEquals(capturedTorch.size(), capturedVector.size());
        for (int i = 0; i < capturedTorch.size(); i++) {
            assertClose(capturedTorch.get(i), capturedVector.get(i), m.modelId() + " resid_post capture " + i);
        }
    }

    private static HookSet capture(HookSet.Builder b, int layer, List<float[]> into) {
        return b.add(HookPoint.RESID_POST, layer, (site, x) -> {
            into.add(x.toFloatArray());
            return x;
        }).build();
    }

    /**
     * Runs a prompt pass and then greedy decode steps, step {@code i} on the path {@code paths[i]} ({@code auto}:
     * the Vector API path, {@code libtorch}), in a cache first sized for {@code capacity} slots (null: all of
     * them); returns each step's last-position logits.
     */
    private static List<float[]> steps(LanguageModel m, long[] prompt, String[] paths, HookSet hooks,
                                       Integer capacity) {
        return steps(m, prompt, paths, hooks, capacity, false);
    }

    /** As above; with {@code host}, the cache prefers Java logits, and each step checks where they came back. */
    private static List<float[]> steps(LanguageModel m, long[] prompt, String[] paths, HookSet hooks,
                                       Integer capacity, boolean host) {
        List<float[]> out = new ArrayList<>();
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, capacity == null ? prompt.length + paths.length : capacity);
            if (host) {
                cache.preferHostLogits();
            }
            int[] lengths = {prompt.length};
            long next = -1;
            for (int i = 0; i < paths.length; i++) {
                System.setProperty(VectorSupport.PROPERTY, paths[i]);
                try {
                    ForwardInput in = i == 0 ? ForwardInput.leftPadded(call, List.of(prompt), 0, lengths)
                            : ForwardInput.step(call, new long[] {next}, lengths);
                    NDArray logits = m.forward(in, cache, hooks, LogitsMode.LAST);
                    float[] f;
                    if (host && paths[i].equals("auto")) {
                        assertTrue(logits == null, "step " + i + ": the logits stay a Java array");
                        f = cache.takeHostLogits();
                        assertTrue(cache.takeHostLogits() == null, "step " + i + ": taken once");
                    } else {
                        assertTrue(cache.takeHostLogits() == null, "step " + i + ": libtorch returns an NDArray");
                        f = m.compute(logits::toFloatArray);
                    }
                    out.add(f);
                    next = argmax(f);
                } finally {
                    System.clearProperty(VectorSupport.PROPERTY);
                }
            }
        }
        return out;
    }

    private static int argmax(float[] f) {
        int best = 0;
        for (int i = 1; i < f.length; i++) {
            if (f[i] > f[best]) {
                best = i;
            }
        }
        return best;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= TOL, what + ": max |difference| " + max + " > " + TOL);
        assertArrayEquals(expected, actual, (float) TOL, what);
    }
}
