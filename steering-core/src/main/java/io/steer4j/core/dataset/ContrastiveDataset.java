package io.steer4j.core.dataset;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A named, non-empty, immutable list of {@link ContrastivePair}s: the input from which a steering vector is computed.
 *
 * <pre>{@code
 * ContrastiveDataset ds = ContrastiveDatasets.load(Path.of("happy.jsonl"));
 * DatasetSplit split = ds.split(0.8, 42);   // train on 80 %, evaluate on the rest
 * List<String> texts = split.train().positives();
 * }</pre>
 *
 * @param name  a label for logs and vector metadata; non-blank
 * @param pairs the pairs in order; copied, unmodifiable, non-empty
 */
public record ContrastiveDataset(String name, List<ContrastivePair> pairs) {
    /** @throws IllegalArgumentException if the name is blank or there are no pairs */
    public ContrastiveDataset {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("dataset name must not be null or blank");
        }
        Objects.requireNonNull(pairs, "pairs");
        pairs = List.copyOf(pairs);
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("dataset '" + name + "' is empty: a steering vector needs at least"
                    + " one contrastive pair");
        }
    }

    /** Number of pairs. */
    public int size() {
        return pairs.size();
    }

    /** The positive texts, in pair order. */
    public List<String> positives() {
        return pairs.stream().map(ContrastivePair::positive).toList();
    }

    /** The negative texts, in pair order. */
    public List<String> negatives() {
        return pairs.stream().map(ContrastivePair::negative).toList();
    }

    /**
     * Shuffles the pairs with {@code seed} and splits them: the first {@code round(size * trainFraction)} pairs
     * (at least one, and leaving at least one) go to {@code train}, the rest to {@code test}. Same seed, same split.
     *
     * @throws IllegalArgumentException if {@code trainFraction} is not strictly between 0 and 1, or the dataset
     *                                  has fewer than two pairs
     */
    public DatasetSplit split(double trainFraction, long seed) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("trainFraction must be strictly between 0 and 1, got "
                    + trainFraction);
        }
        if (size() < 2) {
            throw new IllegalArgumentException("cannot split dataset '" + name + "' of " + size()
                    + " pair: both parts must be non-empty");
        }
        List<ContrastivePair> shuffled = new ArrayList<>(pairs);
        Collections.shuffle(shuffled, new Random(seed));
        int trainSize = (int) Math.round(size() * trainFraction);
        trainSize = Math.max(1, Math.min(size() - 1, trainSize));
        return new DatasetSplit(new ContrastiveDataset(name + "-train", shuffled.subList(0, trainSize)),
                new ContrastiveDataset(name + "-test", shuffled.subList(trainSize, size())));
    }
}
