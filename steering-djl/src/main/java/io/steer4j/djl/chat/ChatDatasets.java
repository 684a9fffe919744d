package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatDataset;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.chat.ChatPair;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;

import java.util.ArrayList;
import java.util.List;

/**
 * Chat-form contrastive data rendered by a model's chat template into the text pairs vectors are computed from.
 * Each side is rendered so that its last token is the chosen {@link ChatReadPoint}; compute the vector with the
 * default last-token read. The rendered text already carries the template's special tokens (BOS included), while
 * a model's text entry points add the tokenizer's own special tokens ({@code SpecialTokens.AS_DEFINED}); render
 * through the model's {@link ChatFormat} so that the leading special tokens the tokenizer adds itself are taken off
 * the rendered text and BOS is not doubled. The template-only overload keeps the text as rendered, for a model
 * loaded with {@code SpecialTokens.NONE}.
 *
 * <pre>{@code
 * ContrastiveDataset pairs = ChatDatasets.render(ChatFormat.of(model), empathy, ChatReadPoint.ASSISTANT_TOKEN);
 * SteeringVector v = SteeringVectorComputer.builder(model).layers(6).build().compute(pairs).vector();
 * }</pre>
 */
public final class ChatDatasets {
    private ChatDatasets() {
    }

    /**
     * Renders every pair at {@code point}.
     *
     * @throws ChatTemplateException when the template refuses a conversation, or a conversation lacks what the read
     *                               point needs (a final assistant message for {@link ChatReadPoint#ASSISTANT_TOKEN},
     *                               a user message for {@link ChatReadPoint#END_OF_USER_TURN})
     */
    public static ContrastiveDataset render(ChatTemplate template, ChatDataset data, ChatReadPoint point) {
        List<ContrastivePair> out = new ArrayList<>(data.size());
        for (ChatPair pair : data.pairs()) {
            out.add(new ContrastivePair(render(template, pair.positive(), point), render(template, pair.negative(), point)));
        }
        return new ContrastiveDataset(data.name(), out);
    }

    /**
     * Renders every pair at {@code point} for the model behind {@code format}: the text of the special tokens its
     * tokenizer adds before any encoded text (BOS for SentencePiece Llama models) is removed from the start of each
     * rendering, so that encoding the pair's text gives exactly the template's tokens, with BOS once.
     *
     * @throws ChatTemplateException as {@link #render(ChatTemplate, ChatDataset, ChatReadPoint)}
     */
    public static ContrastiveDataset render(ChatFormat format, ChatDataset data, ChatReadPoint point) {
        String added = format.addedPrefixText();
        List<ContrastivePair> out = new ArrayList<>(data.size());
        for (ChatPair pair : data.pairs()) {
            out.add(new ContrastivePair(
                    withoutPrefix(render(format.template(), pair.positive(), point), added),
                    withoutPrefix(render(format.template(), pair.negative(), point), added)));
        }
        return new ContrastiveDataset(data.name(), out);
    }

    private static String withoutPrefix(String rendered, String added) {
        return !added.isEmpty() && rendered.startsWith(added) ? rendered.substring(added.length()) : rendered;
    }

    /** One conversation rendered to end at {@code point}. */
    public static String render(ChatTemplate template, List<ChatMessage> conversation, ChatReadPoint point) {
        ChatMessage last = conversation.get(conversation.size() - 1);
        boolean endsWithAssistant = last.role().equals(ChatMessage.ASSISTANT);
        List<ChatMessage> withoutReply = endsWithAssistant ? conversation.subList(0, conversation.size() - 1) : conversation;
        return switch (point) {
            case ASSISTANT_TOKEN -> {
                if (!endsWithAssistant) {
                    throw new ChatTemplateException("reading at the assistant's token needs a conversation ending with"
                            + " an assistant message; this one ends with a " + last.role() + " message");
                }
                yield last.content().isBlank()
                        ? template.render(withoutReply, ChatEnding.GENERATION_PROMPT)
                        : template.render(conversation, ChatEnding.CONTINUE_FINAL_MESSAGE);
            }
            case ASSISTANT_PREFIX -> template.render(withoutReply, ChatEnding.GENERATION_PROMPT);
            case END_OF_USER_TURN -> {
                int lastUser = -1;
                for (int i = 0; i < conversation.size(); i++) {
                    if (conversation.get(i).role().equals(ChatMessage.USER)) {
                        lastUser = i;
                    }
                }
                if (lastUser < 0) {
                    throw new ChatTemplateException("reading at the end of the user turn needs a user message");
                }
                yield template.render(conversation.subList(0, lastUser + 1), ChatEnding.NONE);
            }
        };
    }
}
