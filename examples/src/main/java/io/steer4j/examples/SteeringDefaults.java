package io.steer4j.examples;

import io.steer4j.djl.model.LanguageModel;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The sentiment dataset, prompts, layer and strength that the {@code demo} command and the example programs use for
 * one model family, each chosen from a layer × strength sweep ({@code steer4j sweep}) on a real checkpoint of that
 * family rather than guessed. A vector that moves one family's text visibly can do nothing, or wreck the text, on
 * another: the families differ in depth, in residual-stream scale and in the text they were trained on.
 *
 * <ul>
 *   <li><b>GPT-2</b> (and every family not listed below): {@code sentiment.json} (everyday adult sentences),
 *       the middle layer ({@code numLayers / 2}, 6 for gpt2) and an automatic strength that makes the added vector
 *       0.6 times the typical residual norm at that layer. This is the project's original choice; no pretrained
 *       GPT-2 weights are available on the machines it was built on, so it has not been re-measured.</li>
 *   <li><b>Llama-style</b> ({@code model_type} llama, mistral, qwen2): {@code stories-sentiment.json}
 *       (TinyStories-style happy/sad pairs), layer {@code floor(0.6 × numLayers)} and strength 2.0, measured on
 *       stories260k (5 layers: layer 3). There the sweep put the largest happy-vs-sad log-odds effect at layer 3;
 *       strength 2.0 moved the held-out log-odds by +2.0 nats while raising the perplexity of neutral stories by
 *       12 %, within the sweep's 25 % bound. Larger Llama models have not been measured.</li>
 * </ul>
 *
 * @param family       a short name of the choice, e.g. {@code "gpt2"} or {@code "llama"}
 * @param dataset      the shipped pair dataset the sentiment vector is computed from (positive = happy)
 * @param evalItems    the shipped continuation items ({@code prompt}, {@code positive}, {@code negative}) that
 *                     measure the vector's effect in a sweep
 * @param neutralTexts the shipped neutral texts whose perplexity measures the side effect in a sweep
 * @param prompts      prompts the demo completes, in the style of the text the family's checkpoints write
 * @param layerFraction the steered layer is {@code floor(layerFraction × numLayers)}
 * @param strength     the fixed strength, or {@code null} for the automatic one (see {@code relativeSize})
 * @param relativeSize for the automatic strength: the added vector's norm relative to the typical residual norm
 */
public record SteeringDefaults(String family, String dataset, String evalItems, String neutralTexts,
                               List<String> prompts, double layerFraction, Double strength, double relativeSize) {
    /** Model types that get the Llama-style choice (the types steer4j loads with its Llama family). */
    public static final Set<String> LLAMA_TYPES = Set.of("llama", "mistral", "qwen2");

    /** The GPT-2 choice: the project's original demo settings (not re-measured, see the class comment). */
    public static final SteeringDefaults GPT2 = new SteeringDefaults("gpt2", "sentiment.json",
            "sentiment-eval.json", "neutral.txt",
            List.of("I think the movie I saw last night was",
                    "The weather this weekend is going to be",
                    "When I walked into the restaurant,",
                    "My new neighbour is"),
            0.5, null, 0.6);

    /** The Llama-style choice, measured on stories260k (see the class comment and the README). */
    public static final SteeringDefaults LLAMA = new SteeringDefaults("llama", "stories-sentiment.json",
            "stories-sentiment-eval.json", "stories-neutral.txt",
            List.of("Once upon a time, there was a little girl named Lily. One day, she",
                    "Tom went to the park with his dog. He",
                    "The little bird sat in its nest. It",
                    "Sue looked out of the window and saw the rain. She"),
            0.6, 2.0, 0.0);

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException when a name is blank, there are no prompts, the layer fraction is outside
     *                                  [0, 1) or a strength or size is not a finite number
     */
    public SteeringDefaults {
        for (String s : new String[] {family, dataset, evalItems, neutralTexts}) {
            if (s == null || s.isBlank()) {
                throw new IllegalArgumentException("steering defaults need a family and three dataset names");
            }
        }
        prompts = List.copyOf(prompts);
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("steering defaults need at least one prompt");
        }
        if (!(layerFraction >= 0 && layerFraction < 1)) {
            throw new IllegalArgumentException("layer fraction must be in [0, 1), got " + layerFraction);
        }
        if (strength != null && !Double.isFinite(strength)) {
            throw new IllegalArgumentException("strength must be finite, got " + strength);
        }
        if (!Double.isFinite(relativeSize) || relativeSize < 0) {
            throw new IllegalArgumentException("relative size must be a finite number >= 0, got " + relativeSize);
        }
    }

    /** The choice for {@code model}'s family, by the {@code model_type} of its {@code config.json}. */
    public static SteeringDefaults forModel(LanguageModel model) {
        return forModelType(model.config().modelType());
    }

    /** The choice for a {@code model_type}: {@link #LLAMA} for the Llama-style types, else {@link #GPT2}. */
    public static SteeringDefaults forModelType(String modelType) {
        return modelType != null && LLAMA_TYPES.contains(modelType.toLowerCase(Locale.ROOT)) ? LLAMA : GPT2;
    }

    /** The steered layer for {@code model}: {@code floor(layerFraction × numLayers)}. */
    public int layer(LanguageModel model) {
        return layer(model.numLayers());
    }

    /** The steered layer of a model with {@code numLayers} blocks: {@code floor(layerFraction × numLayers)}. */
    public int layer(int numLayers) {
        if (numLayers < 1) {
            throw new IllegalArgumentException("a model has at least one layer, got " + numLayers);
        }
        return Math.min(numLayers - 1, (int) Math.floor(layerFraction * numLayers));
    }
}
