package io.steer4j.djl.eval;

import io.steer4j.core.dataset.ContrastiveDatasets;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.model.LanguageModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sweep on real GPT-2 (124M) with the shipped sentiment data: skipped, naming what is missing, when no
 * checkpoint is in {@code ../shared/models/gpt2}, {@code $STEER4J_MODELS/gpt2} or the Hugging Face cache.
 */
class SweepRealModelTest {
    private static final Path DATASETS = Path.of("../examples/src/main/resources/datasets");

    /** GPT-2 from the shared models folder, else a Hugging Face cache snapshot; skips the test when absent. */
    static Path gpt2() {
        Optional<Path> shared = RealModels.find("gpt2");
        if (shared.isPresent()) {
            return shared.get();
        }
        List<Path> hubs = new ArrayList<>();
        String hfHome = System.getenv("HF_HOME");
        String hubCache = System.getenv("HF_HUB_CACHE");
        if (hubCache != null) {
            hubs.add(Path.of(hubCache));
        }
        if (hfHome != null) {
            hubs.add(Path.of(hfHome, "hub"));
        }
        hubs.add(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
        for (Path hub : hubs) {
            for (String repo : new String[] {"models--gpt2", "models--openai-community--gpt2"}) {
                Path snapshots = hub.resolve(repo).resolve("snapshots");
                if (!Files.isDirectory(snapshots)) {
                    continue;
                }
                try (Stream<Path> s = Files.list(snapshots)) {
                    Optional<Path> snap = s.filter(p -> Files.isRegularFile(p.resolve("config.json"))
                            && Files.isRegularFile(p.resolve("model.safetensors"))).findFirst();
                    if (snap.isPresent()) {
                        return snap.get();
                    }
                } catch (IOException e) {
                    // unreadable cache: keep looking
                }
            }
        }
        Assumptions.assumeTrue(false, "pretrained gpt2 not found in ../shared/models/gpt2, $STEER4J_MODELS/gpt2 or"
                + " the Hugging Face cache (models--gpt2 / models--openai-community--gpt2 with model.safetensors);"
                + " this test needs the real checkpoint");
        return null;
    }

    @Test
    void sentimentEffectAndSideEffectsGrowWithStrengthOnGpt2() throws IOException {
        Path dir = gpt2();
        List<String> neutral = Files.readAllLines(DATASETS.resolve("neutral.txt")).stream()
                .filter(l -> !l.isBlank()).toList();
        try (LanguageModel model = LanguageModel.load(dir)) {
            SweepResult r = SweepRunner.builder(model)
                    .dataset(ContrastiveDatasets.load(DATASETS.resolve("sentiment.json")))
                    .layers(2, 4, 6, 8)
                    .strengths(0, 2, 4, 8)
                    .continuationItems(ContinuationItem.readJson(DATASETS.resolve("sentiment-eval.json")))
                    .neutralTexts(neutral)
                    .batchSize(16)
                    .build().run();
            System.out.println(r.toTable());
            System.out.println(r.recommendation().rule());
            boolean effectGrows = false;
            for (int layer : r.layers()) {
                List<SweepCell> cs = r.layer(layer);   // strengths 0, 2, 4, 8
                effectGrows |= cs.get(0).effect() < cs.get(1).effect() && cs.get(1).effect() < cs.get(2).effect()
                        && cs.get(2).effect() < cs.get(3).effect();
                for (int i = 1; i < cs.size(); i++) {
                    assertTrue(cs.get(i).kl() > cs.get(i - 1).kl(), "KL does not grow with strength at layer "
                            + layer + ":\n" + r.toTable());
                }
                assertTrue(cs.get(3).perplexity() > cs.get(0).perplexity(), "perplexity at strength 8 is not above"
                        + " unsteered at layer " + layer + ":\n" + r.toTable());
            }
            assertTrue(effectGrows, "no layer's sentiment effect grows with strength 0 < 2 < 4 < 8:\n" + r.toTable());
        }
    }
}
