package io.steer4j.cli;

import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command-line tool end to end on the tiny random GPT-2 (3 layers, hidden 32). */
class Steer4jCliTest {
    private static String model;
    private static Path vector;   // sentiment vector, layers 0..2

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    /** Exit code and captured streams of one invocation. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run run(String... args) {
        return run(Steer4jCli.commandLine(), args);
    }

    static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void setUp() {
        model = TinyModel.dir().toString();
        vector = shared.resolve("sentiment.safetensors");
        Run r = run("compute", "--model", model, "--dataset", "builtin:sentiment.json", "--out", vector.toString(),
                "--no-progress");
        assertEquals(0, r.code(), r.toString());
    }

    // ---- top level ----

    @Test
    void noCommandIsUsageError() {
        Run r = run();
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("missing command"), r.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code(), r.toString());
        for (String c : new String[] {"demo", "generate", "compute", "inspect", "convert", "activations"}) {
            assertTrue(r.out().contains(c), c + " missing from\n" + r.out());
        }
        Run h = run("help", "generate");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("--vector") && h.out().contains("FILE[:STRENGTH]"), h.out());
    }

    @Test
    void unknownOptionIsUsageError() {
        Run r = run("generate", "--model", model, "--bogus", "hi");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("Unknown option: '--bogus'"), r.toString());
        assertTrue(r.err().contains("steer4j generate --help"), r.toString());
        // the plain picocli command line gives the same exit code
        assertEquals(2, run(new CommandLine(new Steer4jCli()), "generate", "--bogus").code());
        assertEquals(2, run("frobnicate").code());
    }

    @Test
    void missingRequiredOptionIsUsageError() {
        Run r = run("generate", "hi");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--model"), r.toString());
    }

    // ---- generate ----

    @Test
    void generateStreamsTheContinuation() {
        Run r = run("generate", "--model", model, "--max-tokens", "6", "Hello", "world");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("Hello world"), r.toString());
        assertTrue(r.out().length() > "Hello world\n".length(), r.toString());
    }

    @Test
    void generateCompareShowsUnsteeredAndSteered() {
        Run plain = run("generate", "--model", model, "--max-tokens", "6", "The day");
        Run r = run("generate", "--model", model, "--max-tokens", "6", "--vector", vector + ":30", "--compare",
                "The day");
        assertEquals(0, r.code(), r.toString());
        String[] parts = r.out().split("=== steered: ");
        assertEquals(2, parts.length, r.out());
        assertTrue(parts[0].startsWith("=== unsteered ===\n"), r.out());
        String unsteered = parts[0].substring("=== unsteered ===\n".length());
        assertEquals(plain.out(), unsteered, "the unsteered half is the plain generation");
        assertTrue(parts[1].startsWith("sentiment.safetensors x30.0 at layers [0, 1, 2], scope all ==="), r.out());
        String steered = parts[1].substring(parts[1].indexOf("===\n") + 4);
        assertNotEquals(unsteered, steered);
    }

    @Test
    void generateWithLayersAndScope() {
        Run r = run("generate", "--model", model, "--max-tokens", "5", "--vector", vector + ":-20",
                "--layers", "1,2", "--scope", "generated", "--compare", "Hi");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("at layers [1, 2], scope generated"), r.out());
    }

    @Test
    void generateSamplingIsReproducibleWithASeed() {
        String[] args = {"generate", "--model", model, "--max-tokens", "8", "--temperature", "1.5", "--top-k", "50",
                "--top-p", "0.95", "--seed", "7", "--repetition-penalty", "1.3", "Once"};
        Run a = run(args);
        Run b = run(args);
        assertEquals(0, a.code(), a.toString());
        assertEquals(a.out(), b.out());
    }

    @Test
    void generateInFloat16SteersLikeFloat32() {
        String[] args = {"generate", "--model", model, "--max-tokens", "6", "--vector", vector + ":30", "--compare",
                "The day"};
        Run f32 = run(args);
        String[] half = java.util.Arrays.copyOf(args, args.length + 2);
        half[args.length] = "--precision";
        half[args.length + 1] = "float16";
        Run f16 = run(half);
        assertEquals(0, f32.code(), f32.toString());
        assertEquals(0, f16.code(), f16.toString());
        String[] parts = f16.out().split("=== steered: ");
        assertEquals(2, parts.length, f16.out());
        assertNotEquals(parts[0].substring(parts[0].indexOf("===\n") + 4),
                parts[1].substring(parts[1].indexOf("===\n") + 4), "steering changes the float16 continuation");
        // greedy on the tiny model: float16 rounding does not flip any of these argmaxes
        assertEquals(f32.out(), f16.out());
        Run bf16 = run("generate", "--model", model, "--precision", "bf16", "Hi");
        assertEquals(2, bf16.code(), bf16.toString());
        assertTrue(bf16.err().contains("bfloat16"), bf16.toString());
    }

    @Test
    void generateRejectsBadArguments() {
        Run greedy = run("generate", "--model", model, "--greedy", "--temperature", "0.7", "Hi");
        assertEquals(2, greedy.code(), greedy.toString());
        assertTrue(greedy.err().contains("--greedy cannot be combined"), greedy.toString());

        Path missing = tmp.resolve("nope.safetensors");
        Run noFile = run("generate", "--model", model, "--vector", missing + ":2", "Hi");
        assertEquals(2, noFile.code(), noFile.toString());
        assertTrue(noFile.err().contains("vector file not found: " + missing), noFile.toString());

        Run nan = run("generate", "--model", model, "--vector", vector + ":NaN", "Hi");
        assertEquals(2, nan.code(), nan.toString());
        assertTrue(nan.err().contains("finite"), nan.toString());

        // issue 27 row 13: 1e20 used to decode token 0 forever with exit 0
        Run huge = run("generate", "--model", model, "--vector", vector + ":1e20", "Hi");
        assertEquals(2, huge.code(), huge.toString());
        assertTrue(huge.err().contains("strength 1.0E20 at layer") && huge.err().contains("steer4j allows"),
                huge.toString());

        Run layer = run("generate", "--model", model, "--vector", vector.toString(), "--layers", "5", "Hi");
        assertEquals(2, layer.code(), layer.toString());
        assertTrue(layer.err().contains("layer 5 is out of range: the model has 3 layers (0..2)"), layer.toString());

        Run scope = run("generate", "--model", model, "--vector", vector.toString(), "--scope", "later", "Hi");
        assertEquals(2, scope.code(), scope.toString());
        assertTrue(scope.err().contains("unknown token scope 'later'"), scope.toString());

        Run topP = run("generate", "--model", model, "--top-p", "1.5", "Hi");
        assertEquals(2, topP.code(), topP.toString());
        assertTrue(topP.err().contains("topP"), topP.toString());
    }

    @Test
    void aVectorStrengthThatIsNotANumberIsNamedAsSuch() {
        Run r = run("generate", "--model", model, "--vector", vector + ":abc", "Hi");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("strength 'abc'") && r.err().contains("is not a number"), r.toString());
    }

    @Test
    void aPromptLongerThanTheContextIsRefusedBeforeAnythingIsPrinted() {
        Run r = run("generate", "--model", model, "word ".repeat(1000)); // 5,000 characters, ~1,000 tokens
        assertEquals(2, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertTrue(r.err().contains("the model's context holds"), r.toString());
    }

    @Test
    void aPromptLongerThanTheContextCouldHoldIsRefusedBeforeTokenizing() {
        Run r = run("generate", "--model", model, "word ".repeat(5000)); // past 64 tokens x 128 characters
        assertEquals(2, r.code(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertTrue(r.err().contains("25000 characters long") && r.err().contains("refused before tokenizing"),
                r.toString());
    }

    @Test
    void aGenerationThatFillsTheContextSaysSo() {
        Run r = run("generate", "--model", model, "--max-tokens", "100000", "Hi");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("context of") && r.err().contains("is full"), r.toString());
    }

    @Test
    void benchRejectsAnUnknownSection() {
        Run r = run("bench", "--model", model, "--sections", "generation,speed");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("unknown section 'speed'"), r.toString());
    }

    @Test
    void everyCommandsHelpFormatsWithoutPicocliWarnings() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        try {
            // picocli reports help-text format problems on System.err, not on the command line's err stream
            System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            for (String command : Steer4jCli.commandLine().getSubcommands().keySet()) {
                Run r = run(command, "--help");
                assertEquals(0, r.code(), command + ": " + r);
            }
        } finally {
            System.setErr(err);
        }
        assertEquals("", captured.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void computeRefusesADatasetTextTooLongForTheModelNamingFileAndLine() throws Exception {
        Path data = tmp.resolve("long.jsonl");
        Files.writeString(data, "{\"positive\": \"good\", \"negative\": \"bad\"}\n{\"positive\": \""
                + "x".repeat(2_000_000) + "\", \"negative\": \"bad\"}\n");
        Run r = run("compute", "--model", model, "--dataset", data.toString(), "--no-progress", "--out",
                tmp.resolve("v.safetensors").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("long.jsonl:2: field 'positive'") && r.err().contains("characters long"),
                r.toString());
    }

    @Test
    void modelThatDoesNotExistIsRuntimeErrorWithoutStackTrace() {
        Path nowhere = tmp.resolve("no-such-model");
        Run r = run("generate", "--model", nowhere.toString(), "Hi");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains(nowhere.toString()), r.toString());
        assertEquals(1, r.err().strip().lines().count(), "one line:\n" + r.err());
        assertFalse(r.err().contains("\tat "), r.toString());

        Run v = run("generate", "--verbose", "--model", nowhere.toString(), "Hi");
        assertEquals(1, v.code());
        assertTrue(v.err().contains("\tat io.steer4j"), "--verbose prints the stack trace:\n" + v.err());
    }

    // ---- compute ----

    @Test
    void computePrintsAccuracyAndNormsPerLayer() throws Exception {
        Path csv = tmp.resolve("tiny.csv");
        Files.writeString(csv, "positive,negative\n\"I love it, great\",\"I hate it, awful\"\n"
                + "what a joy,what a pain\nsunny and warm,rainy and cold\n");
        Path out = tmp.resolve("v.safetensors");
        Run r = run("compute", "--model", model, "--dataset", csv.toString(), "--layers", "1-2", "--method",
                "pca_diff", "--read", "mean", "--batch", "2", "--no-progress", "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("tiny: 3 pairs, pca_diff at resid_post, read mean"), r.out());
        assertTrue(r.out().contains("layer  pair-acc        norm"), r.out());
        assertTrue(r.out().contains("    2  "), r.out());
        SteeringVector v = VectorFiles.read(out);
        assertEquals(Set.of(1, 2), v.layers());
        assertEquals("pca_diff", v.metadata().method());
        assertEquals("mean", v.metadata().readPosition());
        assertEquals(1.0, v.norm(2), 1e-5);
    }

    @Test
    void computeToGgufLeavesOutLayerZero() throws Exception {
        Path out = tmp.resolve("v.gguf");
        Run r = run("compute", "--model", model, "--dataset", "builtin:formality.json", "--no-progress",
                "--out", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.err().contains("leaving out layer 0"), r.toString());
        assertEquals(Set.of(1, 2), VectorFiles.read(out).layers());

        Run explicit = run("compute", "--model", model, "--dataset", "builtin:formality.json", "--layers", "0,1",
                "--out", out.toString());
        assertEquals(2, explicit.code(), explicit.toString());
        assertTrue(explicit.err().contains("layer 0 cannot be written to a GGUF control vector"), explicit.toString());
    }

    @Test
    void computeRejectsBadArguments() {
        Path out = tmp.resolve("x.safetensors");
        Run layer = run("compute", "--model", model, "--dataset", "builtin:sentiment.json", "--layers", "2,7",
                "--out", out.toString());
        assertEquals(2, layer.code(), layer.toString());
        assertTrue(layer.err().contains("layer 7 is out of range: the model has 3 layers (0..2)"), layer.toString());

        Path missing = tmp.resolve("missing.json");
        Run data = run("compute", "--model", model, "--dataset", missing.toString(), "--out", out.toString());
        assertEquals(2, data.code(), data.toString());
        assertTrue(data.err().contains("dataset file not found: " + missing), data.toString());

        Run method = run("compute", "--model", model, "--dataset", "builtin:sentiment.json", "--method", "magic",
                "--out", out.toString());
        assertEquals(2, method.code(), method.toString());
        assertTrue(method.err().contains("unknown vector method 'magic'"), method.toString());

        Run ext = run("compute", "--model", model, "--dataset", "builtin:sentiment.json", "--out",
                tmp.resolve("v.txt").toString());
        assertEquals(2, ext.code(), ext.toString());
        assertTrue(ext.err().contains(".safetensors or .gguf"), ext.toString());

        Run builtin = run("compute", "--model", model, "--dataset", "builtin:nope.json", "--out", out.toString());
        assertEquals(2, builtin.code(), builtin.toString());
        assertFalse(Files.exists(out), "nothing written on failure");
    }

    @Test
    void computeReportsABrokenDatasetAsRuntimeError() throws Exception {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "[{\"positive\": \"a\"}]");
        Run r = run("compute", "--model", model, "--dataset", bad.toString(), "--out",
                tmp.resolve("x.safetensors").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("bad.json") && r.err().contains("negative"), r.toString());
    }

    // ---- inspect and convert ----

    @Test
    void inspectShowsMetadataAndNorms() throws Exception {
        Run r = run("inspect", vector.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("steer4j safetensors vector"), r.out());
        assertTrue(r.out().contains("model           : gpt2-tiny"), r.out());
        assertTrue(r.out().contains("hidden size     : 32"), r.out());
        assertTrue(r.out().contains("method          : mean_difference"), r.out());
        assertTrue(r.out().contains("note dataset    : sentiment"), r.out());
        SteeringVector v = VectorFiles.read(vector);
        for (int l = 0; l < 3; l++) {
            String row = String.format(java.util.Locale.ROOT, "%5d  %10.4f", l, v.norm(l));
            assertTrue(r.out().contains(row), row + " missing from\n" + r.out());
        }
    }

    @Test
    void convertRoundTripsThroughGguf() throws Exception {
        Path gguf = tmp.resolve("s.gguf");
        Run zero = run("convert", vector.toString(), gguf.toString());
        assertEquals(2, zero.code(), zero.toString());
        assertTrue(zero.err().contains("layer 0 cannot be written to a GGUF control vector"), zero.toString());
        assertTrue(zero.err().contains("--layers 1,2"), zero.toString());
        assertFalse(Files.exists(gguf));

        Run ok = run("convert", vector.toString(), gguf.toString(), "--layers", "1-2");
        assertEquals(0, ok.code(), ok.toString());
        Run inspect = run("inspect", gguf.toString());
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("llama.cpp GGUF control vector"), inspect.out());
        assertTrue(inspect.out().contains("model           : gpt2-tiny"), inspect.out());

        Path back = tmp.resolve("back.safetensors");
        assertEquals(0, run("convert", gguf.toString(), back.toString()).code());
        SteeringVector original = VectorFiles.read(vector);
        SteeringVector restored = VectorFiles.read(back);
        assertEquals(Set.of(1, 2), restored.layers());
        for (int l = 1; l <= 2; l++) {
            assertArrayEquals(original.direction(l), restored.direction(l));
        }
    }

    @Test
    void inspectAndConvertRejectBadFiles() throws Exception {
        Path missing = tmp.resolve("missing.safetensors");
        Run r = run("inspect", missing.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("file not found: " + missing), r.toString());

        Path corrupt = tmp.resolve("corrupt.safetensors");
        Files.write(corrupt, new byte[] {1, 2, 3});
        Run c = run("inspect", corrupt.toString());
        assertEquals(1, c.code(), c.toString());
        assertTrue(c.err().contains("corrupt.safetensors"), c.toString());
        assertFalse(c.err().contains("\tat "), c.toString());

        Run ext = run("convert", vector.toString(), tmp.resolve("v.bin").toString());
        assertEquals(2, ext.code(), ext.toString());
        assertTrue(ext.err().contains("v.bin"), ext.toString());

        Run noIn = run("convert", missing.toString(), tmp.resolve("v.gguf").toString());
        assertEquals(2, noIn.code(), noIn.toString());
        assertTrue(noIn.err().contains("input file not found: " + missing), noIn.toString());

        Run layers = run("convert", vector.toString(), tmp.resolve("v.gguf").toString(), "--layers", "4");
        assertEquals(2, layers.code(), layers.toString());
        assertTrue(layers.err().contains("has no layer 4"), layers.toString());
    }

    // ---- activations ----

    @Test
    void activationsWritesEveryLayerAndTheLastLogits() throws Exception {
        Path out = tmp.resolve("acts.safetensors");
        String text = "Hello there";
        Run r = run("activations", "--model", model, "--text", text, "--out", out.toString());
        assertEquals(0, r.code(), r.toString());

        long[] ids;
        try (LanguageModel lm = LanguageModel.load(Path.of(model))) {
            ids = lm.tokenizer().encode(text);
        }
        SafetensorsHeader h = SafetensorsHeader.read(out);
        assertEquals(Arrays.toString(ids).replace(" ", ""), h.metadata().get("token_ids"));
        assertEquals("gpt2-tiny", h.metadata().get("model_id"));
        assertEquals(text, h.metadata().get("text"));
        for (int l = 0; l < 3; l++) {
            SafetensorsTensorInfo t = h.tensor("resid_post." + l).orElseThrow();
            assertArrayEquals(new long[] {ids.length, 32}, t.shape());
        }
        assertArrayEquals(new long[] {297}, h.tensor("logits").orElseThrow().shape());
        assertEquals(3 + 1, h.tensors().size());

        Run inspect = run("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.toString());
        assertTrue(inspect.out().contains("resid_post.2"), inspect.out());
    }

    @Test
    void activationsOnALlamaModelStartWithBosUnlessTurnedOff() throws Exception {
        String stories = io.steer4j.examples.TinyModel.requireReal("stories260k").toString();
        Path with = tmp.resolve("with-bos.safetensors");
        Path without = tmp.resolve("without-bos.safetensors");
        assertEquals(0, run("activations", "--model", stories, "--text", "Lily was", "--out", with.toString()).code());
        assertEquals(0, run("activations", "--model", stories, "--text", "Lily was", "--no-special-tokens", "--out",
                without.toString()).code());
        // <s> = 1, ▁Lily = 317, ▁was = 286 in stories260k's tokenizer.json
        assertEquals("[1,317,286]", SafetensorsHeader.read(with).metadata().get("token_ids"));
        assertEquals("[317,286]", SafetensorsHeader.read(without).metadata().get("token_ids"));
    }

    @Test
    void generateOnALlamaModelPrintsTheFirstWordWithItsSpace() {
        String stories = io.steer4j.examples.TinyModel.requireReal("stories260k").toString();
        Run r = run("generate", "--model", stories, "--max-tokens", "3", "Lily was sad because");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("Lily was sad because she "), r.out());
    }

    /** Pins the layer convention: the activations dump and the vector computer read the same resid_post(L). */
    @Test
    void activationsAgreeWithTheVectorComputer() throws Exception {
        Path json = tmp.resolve("one.json");
        Files.writeString(json, "[{\"positive\": \"What a lovely day\", \"negative\": \"So sad and grey\"}]");
        Path vec = tmp.resolve("one.safetensors");
        assertEquals(0, run("compute", "--model", model, "--dataset", json.toString(), "--no-progress", "--out",
                vec.toString()).code());
        Path a = tmp.resolve("a.safetensors");
        Path b = tmp.resolve("b.safetensors");
        assertEquals(0, run("activations", "--model", model, "--text", "What a lovely day", "--out",
                a.toString()).code());
        assertEquals(0, run("activations", "--model", model, "--text", "So sad and grey", "--out",
                b.toString()).code());
        SteeringVector v = VectorFiles.read(vec);
        for (int l = 0; l < 3; l++) {
            float[] pa = lastRow(a, "resid_post." + l);
            float[] pb = lastRow(b, "resid_post." + l);
            float[] d = v.direction(l);
            for (int i = 0; i < d.length; i++) {
                assertEquals(pa[i] - pb[i], d[i], 1e-4, "layer " + l + " index " + i);
            }
        }
    }

    @Test
    void activationsRejectsAnOutputThatIsNotSafetensors() {
        Run r = run("activations", "--model", model, "--text", "Hi", "--out", tmp.resolve("a.npy").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--out must end in .safetensors"), r.toString());
    }

    private static float[] lastRow(Path file, String name) throws Exception {
        SafetensorsHeader h = SafetensorsHeader.read(file);
        SafetensorsTensorInfo t = h.tensor(name).orElseThrow();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            float[] all = h.readFloats(ch, t, file);
            int hidden = (int) t.shape()[1];
            return Arrays.copyOfRange(all, all.length - hidden, all.length);
        }
    }

    // ---- demo ----

    @Test
    void demoPrintsThreeCompletionsPerPrompt() {
        Run r = run("demo", "--model", model, "--max-tokens", "4");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Sentiment vector from 70 pairs at layer 1"), r.out());
        assertTrue(r.out().contains("Steering at layer 1 with strength +/-"), r.out());
        for (String p : DemoCommand.DEFAULT_PROMPTS) {
            assertTrue(r.out().contains("\"" + p + "\""), p + " missing from\n" + r.out());
        }
        assertEquals(4, r.out().lines().filter(l -> l.startsWith("  unsteered")).count(), r.out());
        assertEquals(8, r.out().lines().filter(l -> l.startsWith("  strength ")).count(), r.out());
    }

    @Test
    void demoWithExplicitSettings() {
        Run r = run("demo", "--model", model, "--max-tokens", "3", "--layer", "2", "--strength", "0",
                "--prompt", "Hello");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("layer 2 with strength +/-0"), r.out());
        // strength 0 reproduces the plain model
        String[] rows = r.out().lines().filter(l -> l.startsWith("  ")).map(l -> l.substring(l.indexOf('|')))
                .toArray(String[]::new);
        assertEquals(3, rows.length, r.out());
        assertEquals(rows[0], rows[1]);
        assertEquals(rows[0], rows[2]);

        Run bad = run("demo", "--model", model, "--layer", "3");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--layer 3 is out of range: the model has 3 layers (0..2)"), bad.toString());
    }

    @Test
    void demoOnRealGpt2() {
        Path gpt2 = TinyModel.requireReal("gpt2");
        Run r = run("demo", "--model", gpt2.toString(), "--max-tokens", "12");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("at layer 6"), r.out());
    }

    @Test
    void computeRefusesAnOutputWhoseFolderIsAFileBeforeLoadingTheModel(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path file = tmp.resolve("not-a-folder");
        java.nio.file.Files.writeString(file, "x");
        Path out = file.resolve("v.safetensors");
        Run r = run("compute", "--model", model, "--dataset", "builtin:sentiment.json", "--out", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--out " + out + ": its folder"), r.toString());
        assertTrue(r.err().contains(file + " is a file, not a folder"), r.toString());
        assertFalse(r.out().contains("pair-acc"), "no vector may be computed before the check: " + r);
    }
}
