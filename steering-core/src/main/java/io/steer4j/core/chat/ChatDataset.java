package io.steer4j.core.chat;

import io.steer4j.core.dataset.MultipleChoiceDataset;
import io.steer4j.core.dataset.MultipleChoiceItem;

import java.util.ArrayList;
import java.util.List;

/**
 * A named list of {@link ChatPair}s: contrastive data in chat form.
 *
 * @param name  a short name recorded in vector metadata
 * @param pairs the pairs; at least one
 */
public record ChatDataset(String name, List<ChatPair> pairs) {
    /** @throws IllegalArgumentException when the name is blank or there are no pairs */
    public ChatDataset {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a chat dataset needs a name");
        }
        if (pairs == null || pairs.isEmpty()) {
            throw new IllegalArgumentException("the chat dataset '" + name + "' has no pairs");
        }
        pairs = List.copyOf(pairs);
    }

    /** Number of pairs. */
    public int size() {
        return pairs.size();
    }

    /** CAA-style A/B items in chat form ({@link ChatPair#fromMultipleChoice}), each after {@code systemPrompt}. */
    public static ChatDataset fromMultipleChoice(MultipleChoiceDataset items, String systemPrompt) {
        List<ChatPair> pairs = new ArrayList<>();
        for (MultipleChoiceItem item : items.items()) {
            pairs.add(ChatPair.fromMultipleChoice(item, systemPrompt));
        }
        return new ChatDataset(items.name(), pairs);
    }
}
