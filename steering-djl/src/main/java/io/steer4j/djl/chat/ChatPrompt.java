package io.steer4j.djl.chat;

import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.PositionRange;
import io.steer4j.core.plan.TokenScope;

import java.util.ArrayList;
import java.util.List;

/**
 * A conversation rendered by its model's chat template and tokenized (without adding special tokens: the template
 * wrote them), with where each message's tokens lie.
 *
 * <p>{@code messageSpans.get(i)} covers message {@code i}'s tokens including its template framing (role header,
 * end-of-turn marker); it is found by rendering each prefix of the conversation, so it is empty when the template
 * renders prefixes that are not prefixes of the whole (then the span-based methods throw).
 *
 * @param text         the rendered text
 * @param ids          its token ids
 * @param messages     the conversation
 * @param ending       how the rendering ends
 * @param messageSpans token positions of each message (empty when they could not be located)
 * @param replyStart   where the reply's tokens begin: the generation prompt (assistant header) for
 *                     {@link ChatEnding#GENERATION_PROMPT}, the final message's span for
 *                     {@link ChatEnding#CONTINUE_FINAL_MESSAGE}, else {@code ids.length}
 */
public record ChatPrompt(String text, long[] ids, List<ChatMessage> messages, ChatEnding ending,
                         List<PositionRange> messageSpans, int replyStart) {
    /** Copies the arrays and lists. */
    public ChatPrompt {
        ids = ids.clone();
        messages = List.copyOf(messages);
        messageSpans = List.copyOf(messageSpans);
    }

    /** The token ids (a copy). */
    @Override
    public long[] ids() {
        return ids.clone();
    }

    /** Number of tokens. */
    public int length() {
        return ids.length;
    }

    /**
     * A scope covering only the assistant's tokens: every assistant turn of the history (with its framing) and,
     * when the prompt ends with the generation prompt or continues the final message, that turn and every generated
     * token. Use it with {@link io.steer4j.core.plan.SteeringPlan#withScope} to steer only what the assistant says.
     *
     * @throws ChatTemplateException when the turns could not be located, or there is no assistant token at all
     */
    public TokenScope assistantScope() {
        requireSpans();
        List<PositionRange> ranges = new ArrayList<>();
        int last = messages.size() - 1;
        for (int i = 0; i < messages.size(); i++) {
            PositionRange span = messageSpans.get(i);
            if (!messages.get(i).role().equals(ChatMessage.ASSISTANT)) {
                continue;
            }
            boolean continued = i == last && ending == ChatEnding.CONTINUE_FINAL_MESSAGE;
            ranges.add(continued ? PositionRange.startingAt(span.from()) : span);
        }
        if (ending == ChatEnding.GENERATION_PROMPT) {
            ranges.add(PositionRange.startingAt(replyStart));
        }
        if (ranges.isEmpty()) {
            throw new ChatTemplateException("the conversation has no assistant turn and does not end with a"
                    + " generation prompt: an assistant scope would cover nothing");
        }
        return TokenScope.ranges(ranges);
    }

    /**
     * Index of the last token of the last user turn (its end-of-turn framing included): where a chat-aware
     * reader takes the model's state once the user has spoken.
     *
     * @throws ChatTemplateException when there is no user message or the turns could not be located
     */
    public int endOfLastUserTurn() {
        requireSpans();
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).role().equals(ChatMessage.USER)) {
                return Math.min(messageSpans.get(i).to(), ids.length) - 1;
            }
        }
        throw new ChatTemplateException("the conversation has no user message");
    }

    /**
     * Index of the last token of the assistant prefix: the generation prompt's last token (e.g. the newline after
     * {@code <|im_start|>assistant}), i.e. the position whose output is the reply's first token.
     *
     * @throws ChatTemplateException unless the prompt ends with the generation prompt
     */
    public int lastTokenOfAssistantPrefix() {
        if (ending != ChatEnding.GENERATION_PROMPT) {
            throw new ChatTemplateException("the prompt does not end with a generation prompt (ending " + ending + ")");
        }
        return ids.length - 1;
    }

    private void requireSpans() {
        if (messageSpans.size() != messages.size()) {
            throw new ChatTemplateException("the chat template renders a conversation's prefixes differently from the"
                    + " conversation itself, so the turns' token positions are unknown");
        }
    }
}
