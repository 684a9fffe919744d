package io.steer4j.spark;

import io.steer4j.djl.generation.GenerationConfig;

import java.io.Serializable;
import java.util.Set;

/**
 * A {@link GenerationConfig} in a form Spark can ship to executors (the record itself is not serializable), rebuilt
 * there through its builder.
 */
record GenerationSettings(int maxNewTokens, boolean greedy, double temperature, int topK, double topP, long seed,
                          double repetitionPenalty, boolean stopAtEos, Set<Long> stopTokenIds, boolean useKvCache)
        implements Serializable {

    static GenerationSettings of(GenerationConfig c) {
        return new GenerationSettings(c.maxNewTokens(), c.greedy(), c.temperature(), c.topK(), c.topP(), c.seed(),
                c.repetitionPenalty(), c.stopAtEos(), Set.copyOf(c.stopTokenIds()), c.useKvCache());
    }

    GenerationConfig toConfig() {
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(maxNewTokens).temperature(temperature)
                .topK(topK).topP(topP).seed(seed).repetitionPenalty(repetitionPenalty).stopAtEos(stopAtEos)
                .stopTokenIds(stopTokenIds).useKvCache(useKvCache);
        // temperature/topK/topP switch the builder to sampling, so the mode is set last.
        return (greedy ? b.greedy() : b.sample()).build();
    }
}
