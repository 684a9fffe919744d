package io.steer4j.bench;

import ai.djl.ndarray.NDManager;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;
import io.steer4j.djl.model.ModelLoadException;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;
import io.steer4j.examples.ExampleDatasets;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF model files as input, proven on a real Llama (stories260k, from {@code ../shared/models}) and the tiny GPT-2
 * fixture: each is written to GGUF by the project's model writer in F32, F16, BF16 and Q8_0, loaded back with
 * {@link LanguageModel#load(Path)}, and compared with the Hugging Face folder it came from: logits at every position
 * of a 40-token sequence, 32 greedy tokens, the tokenizer's ids for a set of texts, and a steering vector computed
 * on the float32 folder applied to the Q8_0 file.
 *
 * <p>Tolerances (max |logit difference| over every position, relative to the largest |logit|): F32 0 (the same
 * floats run the same forward pass); BF16 and F16 matrices and Q8_0 round the weights, so their logits differ by
 * what that rounding does to the model, bounded here at 2% (F16), 5% (BF16) and 5% (Q8_0) of the logit range;
 * the measured figures are printed.
 */
class GgufModelLoadTest {
    private static final List<String> TEXTS = List.of("Once upon a time, there was a little girl named Lily.",
            "She liked to play outside in the sun.", "  two  spaces and\nnewlines\n\n", "Tom said: \"Hello!\"",
            "numbers 12345 and symbols #@!", "", "é ü ñ 日本", "<s> looks special");
    private static final String PROMPT = "Once upon a time, there was a little";
    private static final Map<GgmlType, Double> TOLERANCE = new EnumMap<>(Map.of(GgmlType.F32, 0.0,
            GgmlType.F16, 0.02, GgmlType.BF16, 0.05, GgmlType.Q8_0, 0.05));

    @TempDir
    static Path tmp;
    private static LanguageModel storiesHf;
    private static LanguageModel gpt2Hf;
    private static final Map<GgmlType, LanguageModel> STORIES = new EnumMap<>(GgmlType.class);
    private static final Map<GgmlType, LanguageModel> GPT2 = new EnumMap<>(GgmlType.class);

    @BeforeAll
    static void load() throws IOException {
        Path stories = TinyModel.requireReal("stories260k");
        storiesHf = LanguageModel.load(stories);
        gpt2Hf = LanguageModel.load(TinyModel.dir());
        for (GgmlType t : GgmlType.values()) {
            Path s = tmp.resolve("stories260k-" + t + ".gguf");
            GgufModelWriter.convert(stories, s, t);
            long t0 = System.nanoTime();
            STORIES.put(t, LanguageModel.load(s));
            System.out.printf("gguf stories260k %s: file %d bytes, loaded in %.0f ms%n", t, Files.size(s),
                    (System.nanoTime() - t0) / 1e6);
            Path g = tmp.resolve("gpt2-tiny-" + t + ".gguf");
            GgufModelWriter.convert(TinyModel.dir(), g, t);
            GPT2.put(t, LanguageModel.load(g));
        }
    }

    @AfterAll
    static void close() {
        STORIES.values().forEach(LanguageModel::close);
        GPT2.values().forEach(LanguageModel::close);
        if (storiesHf != null) {
            storiesHf.close();
        }
        if (gpt2Hf != null) {
            gpt2Hf.close();
        }
    }

    private static float[] allLogits(LanguageModel m, long[] ids) {
        try (NDManager nd = m.newCallManager()) {
            return m.compute(() -> m.forward(ForwardInput.leftPadded(nd, List.of(ids), 0, new int[] {ids.length}),
                    null, HookSet.NONE, LogitsMode.ALL).toFloatArray());
        }
    }

    private static long[] greedy(LanguageModel m, String prompt, SteeringPlan plan) {
        return SteeredModel.of(m, SteeringPlan.NONE).generate(prompt, GenerationConfig.greedy(32), plan).tokens();
    }

    /** Compares logits at every position of the prompt plus the reference's own 32 greedy tokens. */
    private static void sameModel(String name, LanguageModel hf, LanguageModel gguf, GgmlType type) {
        assertEquals(hf.config().vocabSize(), gguf.config().vocabSize());
        assertEquals(hf.config().numLayers(), gguf.config().numLayers());
        long[] prompt = hf.tokenizer().encode(PROMPT);
        long[] greedyHf = greedy(hf, PROMPT, SteeringPlan.NONE);
        long[] seq = concat(prompt, greedyHf);
        float[] a = allLogits(hf, seq);
        float[] b = allLogits(gguf, seq);
        double maxDiff = 0;
        double range = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            range = Math.max(range, Math.abs(a[i]));
        }
        long[] greedyGguf = greedy(gguf, PROMPT, SteeringPlan.NONE);
        int firstDiff = firstDifference(greedyHf, greedyGguf);
        System.out.printf("gguf %s %s: logits over %d positions max |diff| %.3e (%.3f%% of max |logit| %.2f); "
                        + "greedy ids %s%n", name, type, seq.length, maxDiff, 100 * maxDiff / range, range,
                firstDiff < 0 ? "equal for all " + greedyHf.length : "part at token " + firstDiff);
        assertTrue(maxDiff <= TOLERANCE.get(type) * range, name + " " + type + " max |diff| " + maxDiff);
        if (type == GgmlType.F32) {
            assertArrayEquals(greedyHf, greedyGguf, name + " F32 greedy ids");
        } else if (firstDiff >= 0) {
            // Where rounding parts them, the reference's token must have been a near tie for the rounded model.
            float[] l = allLogits(gguf, concat(prompt, Arrays.copyOf(greedyHf, firstDiff)));
            int v = gguf.config().vocabSize();
            int last = l.length / v - 1;
            double gap = l[last * v + (int) greedyGguf[firstDiff]] - l[last * v + (int) greedyHf[firstDiff]];
            System.out.printf("gguf %s %s: at token %d the logit gap is %.4f%n", name, type, firstDiff, gap);
            assertTrue(gap >= 0 && gap <= 2 * TOLERANCE.get(type) * range, "gap " + gap);
        }
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void storiesGgufGivesTheLogitsAndGreedyIdsOfTheHuggingFaceFolder(GgmlType type) {
        sameModel("stories260k", storiesHf, STORIES.get(type), type);
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void gpt2GgufGivesTheLogitsAndGreedyIdsOfTheHuggingFaceFolder(GgmlType type) {
        sameModel("gpt2-tiny", gpt2Hf, GPT2.get(type), type);
    }

    @Test
    void theSentencePieceTokenizerBuiltFromTheGgufGivesTheIdsOfTokenizerJson() {
        for (String text : TEXTS) {
            assertArrayEquals(storiesHf.tokenizer().encode(text), STORIES.get(GgmlType.Q8_0).tokenizer().encode(text),
                    "stories260k ids of " + text);
            assertEquals(storiesHf.tokenizer().decode(storiesHf.tokenizer().encode(text)),
                    STORIES.get(GgmlType.Q8_0).tokenizer().decode(storiesHf.tokenizer().encode(text)));
        }
    }

    @Test
    void theByteLevelTokenizerBuiltFromTheGgufGivesTheIdsOfTokenizerJson() {
        for (String text : TEXTS) {
            assertArrayEquals(gpt2Hf.tokenizer().encode(text), GPT2.get(GgmlType.Q8_0).tokenizer().encode(text),
                    "gpt2-tiny ids of " + text);
        }
    }

    /** GPT-2's real 50,257-token vocabulary and 50,000 merges, through GGUF and back, give the same ids. */
    @Test
    void theRealGpt2VocabularyBuiltFromTheGgufGivesTheIdsOfVocabAndMerges() throws IOException {
        Path real = sharedModel("gpt2-tokenizer", "vocab.json");
        Path folder = io.steer4j.fixtures.TinyCheckpoints.gpt2Like(tmp.resolve("gpt2-real-vocab"),
                new io.steer4j.fixtures.GptShape(50257, 64, 32, 1, 2), 28);
        Files.deleteIfExists(folder.resolve("tokenizer.json"));
        Files.copy(real.resolve("vocab.json"), folder.resolve("vocab.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(real.resolve("merges.txt"), folder.resolve("merges.txt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path gguf = tmp.resolve("gpt2-real-vocab.gguf");
        GgufModelWriter.convert(folder, gguf, GgmlType.Q8_0);
        List<String> texts = new java.util.ArrayList<>(TEXTS);
        texts.addAll(List.of("The quick brown fox's   jumps, don't they? I'll", "   leading spaces\ttab",
                "<|endoftext|> in text", "Ünïcödé and emoji 🙂 and 中文", "x".repeat(300)));
        try (LanguageModel a = LanguageModel.load(folder); LanguageModel b = LanguageModel.load(gguf)) {
            for (String text : texts) {
                assertArrayEquals(a.tokenizer().encode(text), b.tokenizer().encode(text), "ids of " + text);
                assertEquals(a.tokenizer().decode(a.tokenizer().encode(text)),
                        b.tokenizer().decode(a.tokenizer().encode(text)), "text of " + text);
            }
        }
    }

    /**
     * GGUF carries one EOS id ({@code tokenizer.ggml.eos_token_id}, written from config.json's), not the list a
     * generation_config.json may give (stories260k's stops at BOS too).
     */
    @Test
    void theStopIdIsTheGgufTokenizersEosId() {
        assertEquals(java.util.Set.of((long) storiesHf.config().eosTokenId()), STORIES.get(GgmlType.BF16).eosTokenIds());
        assertEquals(gpt2Hf.eosTokenIds(), GPT2.get(GgmlType.BF16).eosTokenIds());
    }

    @Test
    void aModelLoadedFromGgufIsNamedForItsFileAndItsUnpackedFolderGoesWithClose() throws IOException {
        Path f = tmp.resolve("stories-named.gguf");
        GgufModelWriter.convert(TinyModel.requireReal("stories260k"), f, GgmlType.Q8_0);
        LanguageModel m = LanguageModel.load(f.toString());
        Path unpacked = m.folder();
        assertEquals("stories-named", m.modelId());
        assertTrue(Files.isDirectory(unpacked));
        m.close();
        assertFalse(Files.exists(unpacked), "the unpacked folder is deleted on close");
    }

    @Test
    void aVectorComputedOnTheFloat32FolderSteersTheQ8_0FileTheSameWay() {
        ContrastiveDataset pairs = ExampleDatasets.load("stories-sentiment.json");
        SteeringVector happy = SteeringVectorComputer.builder(storiesHf).layers(3).keepActivations(false).build()
                .compute(pairs).vector();
        SteeringPlan plan = SteeringPlan.of(happy, 2.0);
        LanguageModel q8 = STORIES.get(GgmlType.Q8_0);
        long[] plainHf = greedy(storiesHf, PROMPT, SteeringPlan.NONE);
        long[] steeredHf = greedy(storiesHf, PROMPT, plan);
        long[] steeredQ8 = greedy(q8, PROMPT, plan);
        System.out.println("steered float32: " + storiesHf.tokenizer().decode(steeredHf));
        System.out.println("steered Q8_0:    " + q8.tokenizer().decode(steeredQ8));
        assertFalse(Arrays.equals(plainHf, steeredHf), "the vector changes the float32 model's story");
        int same = firstDifference(steeredHf, steeredQ8);
        assertTrue(same < 0 || same >= 16, "the Q8_0 file's steered story follows the float32 one for at least 16 "
                + "tokens; parted at " + same);
        float[] hfSteered = SteeredModel.of(storiesHf, plan).nextTokenLogProbs(PROMPT, plan);
        float[] q8Steered = SteeredModel.of(q8, plan).nextTokenLogProbs(PROMPT, plan);
        float[] q8Plain = SteeredModel.of(q8, SteeringPlan.NONE).nextTokenLogProbs(PROMPT, SteeringPlan.NONE);
        float[] hfPlain = SteeredModel.of(storiesHf, SteeringPlan.NONE).nextTokenLogProbs(PROMPT, SteeringPlan.NONE);
        // The shift the vector causes in the next-token distribution is the same on both forms.
        double shiftHf = 0;
        double shiftDiff = 0;
        for (int i = 0; i < hfSteered.length; i++) {
            shiftHf = Math.max(shiftHf, Math.abs(hfSteered[i] - hfPlain[i]));
            shiftDiff = Math.max(shiftDiff, Math.abs((hfSteered[i] - hfPlain[i]) - (q8Steered[i] - q8Plain[i])));
        }
        System.out.printf("steering shift of next-token log-probs: float32 max %.3f, float32 vs Q8_0 max |diff| %.3f%n",
                shiftHf, shiftDiff);
        assertTrue(shiftDiff < 0.1 * shiftHf, "shift differs by " + shiftDiff + " of " + shiftHf);
    }

    @Test
    void theChatTemplateTheGgufCarriesRendersAndTokenizesAsTheFolders() throws IOException {
        Path folder = io.steer4j.fixtures.ChatCheckpoint.write(tmp.resolve("chat"));
        Path gguf = tmp.resolve("chat.gguf");
        GgufModelWriter.convert(folder, gguf, GgmlType.Q8_0);
        List<io.steer4j.core.chat.ChatMessage> chat = List.of(io.steer4j.core.chat.ChatMessage.user("Hi there"));
        try (LanguageModel a = LanguageModel.load(folder); LanguageModel b = LanguageModel.load(gguf)) {
            var fa = io.steer4j.djl.chat.ChatFormat.of(a);
            var fb = io.steer4j.djl.chat.ChatFormat.of(b);
            String text = fa.render(chat, io.steer4j.djl.chat.ChatEnding.GENERATION_PROMPT);
            assertTrue(text.contains("<|im_start|>assistant"), text);
            assertEquals(text, fb.render(chat, io.steer4j.djl.chat.ChatEnding.GENERATION_PROMPT));
            assertArrayEquals(a.tokenizer().encode(text), b.tokenizer().encode(text),
                    "<|im_start|> and <|im_end|> stay single special tokens");
        }
    }

    @Test
    void aGgufMissingAConfigKeyIsRefusedNamingTheKeyAndTheFile() throws IOException {
        Path f = tmp.resolve("no-blocks.gguf");
        new io.steer4j.core.format.gguf.GgufWriter().putString("general.architecture", "llama")
                .putUint32("llama.embedding_length", 64).writeAtomically(f);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LanguageModel.load(f));
        assertTrue(e.getMessage().contains("no-blocks.gguf") && e.getMessage().contains("llama.attention.head_count"),
                e.getMessage());
    }

    @Test
    void aGgufOfAnotherArchitectureIsRefusedByName() throws IOException {
        Path f = tmp.resolve("other.gguf");
        new io.steer4j.core.format.gguf.GgufWriter().putString("general.architecture", "qwen3").writeAtomically(f);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LanguageModel.load(f));
        assertTrue(e.getMessage().contains("'qwen3'") && e.getMessage().contains("gpt2 and llama"), e.getMessage());
    }

    @Test
    void theCliGeneratesFromAGgufFileAsFromTheFolder() {
        String gguf = tmp.resolve("stories260k-Q8_0.gguf").toString();
        String folder = TinyModel.requireReal("stories260k").toString();
        String[] fromFile = cli("generate", "--model", gguf, "--max-tokens", "12", PROMPT);
        String[] fromFolder = cli("generate", "--model", folder, "--max-tokens", "12", PROMPT);
        assertEquals("0", fromFile[0], fromFile[1]);
        assertEquals(fromFolder[1], fromFile[1]);
    }

    /** Exit code and stdout of one in-process CLI run. */
    private static String[] cli(String... args) {
        picocli.CommandLine cl = io.steer4j.cli.Steer4jCli.commandLine();
        java.io.StringWriter out = new java.io.StringWriter();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(new java.io.StringWriter(), true));
        int code = cl.execute(args);
        return new String[] {String.valueOf(code), out.toString()};
    }

    @Test
    void aFileThatIsNotGgufIsRefusedNamingTheProblem() throws IOException {
        Path f = tmp.resolve("not.gguf");
        Files.writeString(f, "GGUF but nothing else");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LanguageModel.load(f));
        assertTrue(e.getMessage().contains("not.gguf"), e.getMessage());
    }

    /** A folder of ../shared/models (searched upwards from the working directory), which CI has: never skipped. */
    private static Path sharedModel(String name, String file) {
        String env = System.getenv("STEER4J_MODELS");
        if (env != null && Files.isRegularFile(Path.of(env, name, file))) {
            return Path.of(env, name);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            for (Path p : new Path[] {d.resolve("shared/models/" + name), d.resolve("../shared/models/" + name)}) {
                if (Files.isRegularFile(p.resolve(file))) {
                    return p.normalize();
                }
            }
        }
        throw new AssertionError(name + " not found under shared/models or $STEER4J_MODELS");
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int firstDifference(long[] a, long[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }
}
