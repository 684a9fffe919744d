package io.steer4j.core.dataset;

import java.util.List;
import java.util.Objects;

/**
 * A named, non-empty, immutable list of {@link MultipleChoiceItem}s, loaded by
 * {@link ContrastiveDatasets#loadMultipleChoice(java.nio.file.Path)}.
 *
 * <pre>{@code
 * MultipleChoiceDataset mc = ContrastiveDatasets.loadMultipleChoice(Path.of("sycophancy.jsonl"));
 * ContrastiveDataset pairs = mc.toContrastiveDataset();   // for vector extraction
 * }</pre>
 *
 * @param name  a label; non-blank
 * @param items the items in file order; copied, unmodifiable, non-empty
 */
public record MultipleChoiceDataset(String name, List<MultipleChoiceItem> items) {
    /** @throws IllegalArgumentException if the name is blank or there are no items */
    public MultipleChoiceDataset {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("dataset name must not be null or blank");
        }
        Objects.requireNonNull(items, "items");
        items = List.copyOf(items);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("multiple-choice dataset '" + name + "' is empty");
        }
    }

    /** Number of items. */
    public int size() {
        return items.size();
    }

    /** Each item as a {@link MultipleChoiceItem#toPair() pair}, same name and order. */
    public ContrastiveDataset toContrastiveDataset() {
        return new ContrastiveDataset(name, items.stream().map(MultipleChoiceItem::toPair).toList());
    }
}
