package io.steer4j.djl.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.plan.Intervention;
import io.steer4j.core.plan.InterventionOperator;
import io.steer4j.core.plan.PositionRange;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.engine.cpu.CpuDecoder;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.steering.PlanHooksForTests;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java CPU engine ({@link CpuDecoder}) against the libtorch pass, which the parity tests hold to the
 * independent PyTorch references. Each checkpoint is loaded twice, with {@link CpuEngine#JAVA} and with
 * {@link CpuEngine#LIBTORCH}, and every step that should run on the Java engine is checked to have run there (its
 * pass counter moves by one), so a silent fallback to libtorch fails instead of comparing libtorch with itself.
 * Compared at every step of a cached generation (prompt pass and decode steps): logits, and activations captured
 * at hook points, with NDArray hooks changing every hook point and with steering plans (add, ablate, clamp,
 * add-after-ablate; all, prompt, generated and range token scopes), for a tiny checkpoint of each family and the
 * real stories260k; and a cache that alternates between the engines continues as if one engine had filled it.
 */
class CpuEngineParityTest {
    private static final double TOL = 1e-4;
    private static final Map<String, Supplier<Path>> FIXTURES = new LinkedHashMap<>();
    private static final Map<String, Path> WRITTEN = new LinkedHashMap<>();
    private static final Map<String, LanguageModel> MODELS = new LinkedHashMap<>();
    private static Path root;

    @BeforeAll
    static void write() throws IOException {
        root = Files.createTempDirectory("steer4j-cpu-engine");
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

    private static Path folder(String id) {
        return WRITTEN.computeIfAbsent(id, k -> FIXTURES.get(k).get());
    }

    /** The fixture {@code id} loaded on {@code engine} (once per test class). */
    private static LanguageModel model(String id, CpuEngine engine) {
        return MODELS.computeIfAbsent(id + "/" + engine,
                k -> LanguageModel.load(folder(id), LoadOptions.builder().cpuEngine(engine).build()));
    }

    private static LanguageModel java(String id) {
        return model(id, CpuEngine.JAVA);
    }

    private static LanguageModel torch(String id) {
        return model(id, CpuEngine.LIBTORCH);
    }

    @Test
    void theBuildRunsTestsWithTheJavaEngineAvailable() {
        assertTrue(CpuEngine.javaEngineAvailable(), "surefire must pass " + CpuEngine.JVM_FLAG);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void eachModelRunsOnTheEngineItWasLoadedWith(String id) {
        assertEquals(CpuEngine.JAVA, java(id).cpuEngine());
        assertEquals(CpuEngine.LIBTORCH, torch(id).cpuEngine());
        assertEquals(CpuEngine.JAVA, model(id, CpuEngine.AUTO).cpuEngine(), "automatic picks the Java engine");
    }

    @Test
    void thePropertyOverridesTheLoadOptionAtLoadOnly() {
        System.setProperty(CpuEngine.PROPERTY, "libtorch");
        LanguageModel overridden;
        try {
            overridden = LanguageModel.load(folder("gpt2"), LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
        } finally {
            System.clearProperty(CpuEngine.PROPERTY);
        }
        try (overridden) {
            assertEquals(CpuEngine.LIBTORCH, overridden.cpuEngine());
            steps(List.of(overridden, overridden), new long[] {3, 17, 5}, HookSet.NONE, null, false);
            assertEquals(0, overridden.javaEnginePasses(), "the property cleared after loading changes nothing");
        }
    }

    @Test
    void anUnknownPropertyValueFailsTheLoadNamingTheProperty() {
        System.setProperty(CpuEngine.PROPERTY, "fast");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LanguageModel.load(folder("gpt2")));
            assertTrue(e.getMessage().contains(CpuEngine.PROPERTY) && e.getMessage().contains("'fast'"),
                    e.getMessage());
        } finally {
            System.clearProperty(CpuEngine.PROPERTY);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void hookedGenerationGivesTheLibtorchLogitsAndCapturesAtEveryStep(String id) {
        assertEnginesAgree(java(id), torch(id), new long[] {3, 17, 5, 9, 1, 12, 7}, 10, CpuEngineParityTest::ndArrayHooks);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void steeringPlansGiveTheLibtorchLogitsAndCapturesAtEveryStep(String id) {
        assertEnginesAgree(java(id), torch(id), new long[] {3, 17, 5, 9, 1, 12, 7}, 10, CpuEngineParityTest::planHooks);
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void longPromptsTakeTheTokenPanelPathAndGiveTheLibtorchLogits(String id) {
        // 37 tokens: two full 16-token panels and a partial one, past CpuDecoder.PROMPT_KERNEL_MIN_TOKENS
        long[] prompt = new long[37];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 7 + 3) % 20;
        }
        assertTrue(prompt.length >= CpuDecoder.PROMPT_KERNEL_MIN_TOKENS);
        assertEnginesAgree(java(id), torch(id), prompt, 4, CpuEngineParityTest::planHooks);
    }

    /**
     * A long pass after cached tokens (a chat turn continuing its cache) runs the prompt kernels with a cached
     * prefix: every position's logits equal libtorch's, so each query sees exactly the cached slots and the new
     * tokens up to itself.
     */
    @ParameterizedTest
    @MethodSource("fixtures")
    void aLongPassAfterCachedTokensGivesTheLibtorchLogitsAtEveryPosition(String id) {
        long[] first = new long[20];
        long[] second = new long[14];
        for (int i = 0; i < first.length; i++) {
            first[i] = (i * 5 + 1) % 20;
        }
        for (int i = 0; i < second.length; i++) {
            second[i] = (i * 3 + 2) % 20;
        }
        assertTrue(second.length >= CpuDecoder.PROMPT_KERNEL_MIN_TOKENS);
        float[] java = twoPasses(java(id), first, second);
        float[] torch = twoPasses(torch(id), first, second);
        assertClose(torch, java, id + ": logits of the second pass");
    }

    /** Every position's logits of {@code second}, run after {@code first} in one cache. */
    private static float[] twoPasses(LanguageModel m, long[] first, long[] second) {
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, first.length + second.length);
            int[] lengths = {first.length + second.length};
            long before = m.javaEnginePasses();
            m.forward(ForwardInput.leftPadded(call, List.of(first), 0, lengths), cache, HookSet.NONE, LogitsMode.NONE);
            NDArray logits = m.forward(ForwardInput.leftPadded(call, List.of(second), 0, lengths), cache, HookSet.NONE,
                    LogitsMode.ALL);
            assertEquals(m.cpuEngine() == CpuEngine.JAVA ? before + 2 : 0, m.javaEnginePasses(), "passes on the Java engine");
            return m.compute(logits::toFloatArray);
        }
    }

    @Test
    void stories260kGivesTheLibtorchLogitsAndCapturesAtEveryStep() {
        Path dir = RealModels.require("stories260k");
        try (LanguageModel j = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(CpuEngine.JAVA).build());
             LanguageModel t = LanguageModel.load(dir, LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build())) {
            long[] prompt = {1, 403, 407, 261, 378, 365, 287, 300};
            assertEnginesAgree(j, t, prompt, 24, CpuEngineParityTest::ndArrayHooks);
            assertEnginesAgree(j, t, prompt, 24, CpuEngineParityTest::planHooks);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void aCacheAlternatingBetweenTheEnginesContinuesAsOneEngine(String id) {
        LanguageModel j = java(id);
        LanguageModel t = torch(id);
        long[] prompt = {4, 8, 15, 16, 23};
        // libtorch prompt, two Java steps, two libtorch steps, one Java step
        List<LanguageModel> order = List.of(t, j, j, t, t, j);
        List<float[]> mixed = steps(order, prompt, HookSet.NONE, null, false);
        List<float[]> torchOnly = steps(fill(order.size(), t), prompt, HookSet.NONE, null, false);
        for (int i = 0; i < order.size(); i++) {
            assertClose(torchOnly.get(i), mixed.get(i), id + " step " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void aCacheThatGrowsOnBothEnginesKeepsEveryHeadsSlots(String id) {
        LanguageModel j = java(id);
        LanguageModel t = torch(id);
        long[] prompt = {4, 8, 15, 16, 23};
        // room for one slot at first: the Java copy regrows (5 -> 10 -> 20) between and after libtorch steps
        List<LanguageModel> order = List.of(j, j, t, j, j, j, j, t, j, j, j, j, j);
        List<float[]> mixed = steps(order, prompt, HookSet.NONE, 1, false);
        List<float[]> torchOnly = steps(fill(order.size(), t), prompt, HookSet.NONE, null, false);
        for (int i = 0; i < order.size(); i++) {
            assertClose(torchOnly.get(i), mixed.get(i), id + " step " + i);
        }
    }

    @Test
    void aCacheThatPrefersJavaLogitsGetsTheSameLogitsFromEitherEngine() {
        LanguageModel j = java("gpt2");
        LanguageModel t = torch("gpt2");
        long[] prompt = {4, 8, 15, 16, 23};
        List<LanguageModel> order = List.of(j, j, t, j, t, j);
        List<float[]> host = steps(order, prompt, HookSet.NONE, null, true);
        List<float[]> torchOnly = steps(fill(order.size(), t), prompt, HookSet.NONE, null, false);
        for (int i = 0; i < order.size(); i++) {
            assertClose(torchOnly.get(i), host.get(i), "step " + i);
        }
    }

    private static List<LanguageModel> fill(int n, LanguageModel m) {
        LanguageModel[] a = new LanguageModel[n];
        Arrays.fill(a, m);
        return List.of(a);
    }

    /** NDArray hooks changing every hook point of the first and last layers. */
    private static HookSet ndArrayHooks(LanguageModel m, NDManager consts) {
        int hidden = m.hiddenSize();
        float[] vec = direction(hidden, 0.37);
        int last = m.numLayers() - 1;
        HookSet.Builder b = HookSet.builder();
        for (HookPoint p : HookPoint.values()) {
            b.add(p, 0, (site, x) -> x.add(site.manager().create(vec)));
            b.add(p, last, (site, x) -> x.mul(0.9f));
        }
        return b.build();
    }

    /**
     * A steering plan of every operator and token scope, at every hook point: the Java engine applies it to float
     * arrays ({@link io.steer4j.djl.hooks.FloatActivationHook}), libtorch to NDArrays. {@link SixteenBitEngineTest}
     * steps its 16-bit checkpoints under the same plan.
     */
    static HookSet planHooks(LanguageModel m, NDManager consts) {
        int hidden = m.hiddenSize();
        int last = m.numLayers() - 1;
        int mid = m.numLayers() / 2;
        float[] a = direction(hidden, 0.37);
        float[] b = direction(hidden, 1.91);
        float[] c = direction(hidden, 0.05);
        SteeringPlan plan = SteeringPlan.builder()
                .add(new Intervention(0, HookPoint.RESID_POST, a, 4.0, TokenScope.all(), InterventionOperator.ADD, false))
                .add(new Intervention(0, HookPoint.ATTN_OUT, b, 0, TokenScope.promptOnly(),
                        InterventionOperator.ABLATE, false))
                .add(new Intervention(mid, HookPoint.MLP_OUT, c, 2.5, TokenScope.generatedOnly(),
                        InterventionOperator.CLAMP, false))
                .add(new Intervention(mid, HookPoint.RESID_PRE, b, 1.5,
                        TokenScope.ranges(List.of(new PositionRange(2, 4), PositionRange.startingAt(9))),
                        InterventionOperator.ADD_AFTER_ABLATE, false))
                .add(new Intervention(last, HookPoint.RESID_POST, a, 3.0, TokenScope.from(5),
                        InterventionOperator.ADD, true))
                .build();
        return PlanHooksForTests.hooks(plan, consts, hidden);
    }

    private static float[] direction(int hidden, double freq) {
        float[] v = new float[hidden];
        for (int i = 0; i < hidden; i++) {
            v[i] = (float) Math.sin(i * freq + 0.3) * 0.3f;
        }
        return v;
    }

    /** Adds hooks after {@code hooks} capturing every hook point of every layer, in call order. */
    private static HookSet withCaptures(HookSet hooks, int layers, List<float[]> into) {
        HookSet.Builder b = HookSet.builder();
        for (int l = 0; l < layers; l++) {
            for (HookPoint p : HookPoint.values()) {
                b.add(p, l, (site, x) -> {
                    into.add(x.toFloatArray());
                    return x;
                });
            }
        }
        return hooks.and(b.build());
    }

    /**
     * Logits of a prompt pass and {@code steps} greedy steps, and the activations captured after {@code hooks} at
     * every hook point, agree between the engines; every step of {@code j} ran on the Java engine.
     */
    private static void assertEnginesAgree(LanguageModel j, LanguageModel t, long[] prompt, int steps,
                                           java.util.function.BiFunction<LanguageModel, NDManager, HookSet> hooks) {
        assertEquals(CpuEngine.JAVA, j.cpuEngine());
        assertEquals(CpuEngine.LIBTORCH, t.cpuEngine());
        List<float[]> capturedJava = new ArrayList<>();
        List<float[]> capturedTorch = new ArrayList<>();
        List<float[]> javaLogits;
        List<float[]> torchLogits;
        try (NDManager consts = j.newCallManager()) {
            javaLogits = steps(fill(steps + 1, j), prompt,
                    withCaptures(hooks.apply(j, consts), j.numLayers(), capturedJava), null, false);
            torchLogits = steps(fill(steps + 1, t), prompt,
                    withCaptures(hooks.apply(t, consts), t.numLayers(), capturedTorch), null, false);
        }
        for (int i = 0; i <= steps; i++) {
            assertClose(torchLogits.get(i), javaLogits.get(i), j.modelId() + " step " + i);
        }
        assertEquals(capturedTorch.size(), capturedJava.size(), "captures");
        assertEquals((steps + 1) * j.numLayers() * HookPoint.values().length, capturedJava.size(), "captures");
        for (int i = 0; i < capturedTorch.size(); i++) {
            assertClose(capturedTorch.get(i), capturedJava.get(i), j.modelId() + " capture " + i);
        }
    }

    /**
     * Runs a prompt pass and then greedy decode steps, step {@code i} on {@code order.get(i)}, in one cache first
     * sized for {@code capacity} slots (null: all of them); returns each step's last-position logits. Checks that
     * each step of a Java-engine model ran on the Java engine, once. With {@code host}, the cache prefers Java
     * logits, and each step checks where they came back.
     */
    private static List<float[]> steps(List<LanguageModel> order, long[] prompt, HookSet hooks, Integer capacity,
                                       boolean host) {
        List<float[]> out = new ArrayList<>();
        LanguageModel first = order.get(0);
        try (NDManager call = first.newCallManager()) {
            KvCache cache = first.newCache(call, 1, capacity == null ? prompt.length + order.size() : capacity);
            if (host) {
                cache.preferHostLogits();
            }
            int[] lengths = {prompt.length};
            long next = -1;
            for (int i = 0; i < order.size(); i++) {
                LanguageModel m = order.get(i);
                boolean onJava = m.cpuEngine() == CpuEngine.JAVA;
                long passesBefore = m.javaEnginePasses();
                ForwardInput in = i == 0 ? ForwardInput.leftPadded(call, List.of(prompt), 0, lengths)
                        : ForwardInput.step(call, new long[] {next}, lengths);
                NDArray logits = m.forward(in, cache, hooks, LogitsMode.LAST);
                assertEquals(onJava ? passesBefore + 1 : 0, m.javaEnginePasses(),
                        m.modelId() + " step " + i + ": passes on the Java engine");
                float[] f;
                if (host && onJava) {
                    assertNull(logits, "step " + i + ": the logits stay a Java array");
                    f = cache.takeHostLogits();
                    assertNull(cache.takeHostLogits(), "step " + i + ": taken once");
                } else {
                    assertNull(cache.takeHostLogits(), "step " + i + ": libtorch returns an NDArray");
                    f = m.compute(logits::toFloatArray);
                }
                out.add(f);
                next = argmax(f);
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
