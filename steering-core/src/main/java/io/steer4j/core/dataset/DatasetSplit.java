package io.steer4j.core.dataset;

import java.util.Objects;

/**
 * A dataset divided into disjoint training and held-out parts, from {@link ContrastiveDataset#split(double, long)}.
 *
 * @param train pairs to compute the vector from
 * @param test  held-out pairs to evaluate it on
 */
public record DatasetSplit(ContrastiveDataset train, ContrastiveDataset test) {
    /** Checks that both parts are present. */
    public DatasetSplit {
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(test, "test");
    }
}
