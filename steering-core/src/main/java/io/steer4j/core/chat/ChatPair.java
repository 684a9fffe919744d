package io.steer4j.core.chat;

import io.steer4j.core.dataset.MultipleChoiceItem;

import java.util.ArrayList;
import java.util.List;

/**
 * A contrastive pair given as conversations: the same exchange showing the behaviour ({@code positive}) and not
 * showing it ({@code negative}). A model's chat template turns each side into its prompt format
 * ({@code io.steer4j.djl.chat.ChatDatasets}), so one dataset serves every instruct model.
 *
 * <pre>{@code
 * ChatPair p = new ChatPair(
 *         List.of(ChatMessage.user("Act as if you're extremely empathetic."), ChatMessage.assistant("I hear you")),
 *         List.of(ChatMessage.user("Act as if you're extremely cold."), ChatMessage.assistant("I hear you")));
 * }</pre>
 *
 * @param positive the conversation showing the behaviour; non-empty
 * @param negative the conversation not showing it; non-empty
 */
public record ChatPair(List<ChatMessage> positive, List<ChatMessage> negative) {
    /** @throws IllegalArgumentException when a side is null, empty or holds a null message */
    public ChatPair {
        positive = checked(positive, "positive");
        negative = checked(negative, "negative");
    }

    private static List<ChatMessage> checked(List<ChatMessage> side, String name) {
        if (side == null || side.isEmpty()) {
            throw new IllegalArgumentException("the " + name + " conversation of a chat pair is empty");
        }
        for (ChatMessage m : side) {
            if (m == null) {
                throw new IllegalArgumentException("the " + name + " conversation of a chat pair holds a null message");
            }
        }
        return List.copyOf(side);
    }

    /**
     * A CAA-style A/B item in chat form: the question as the user's turn (after an optional system prompt) and each
     * answer as the start of the assistant's reply, cut after the answer letter ({@code " (A)"} becomes {@code "(A"})
     * so that the last token, where CAA reads, is the letter itself.
     *
     * @param systemPrompt a system prompt, or null for none
     */
    public static ChatPair fromMultipleChoice(MultipleChoiceItem item, String systemPrompt) {
        return new ChatPair(abConversation(systemPrompt, item.question(), item.answerMatchingBehavior()),
                abConversation(systemPrompt, item.question(), item.answerNotMatchingBehavior()));
    }

    private static List<ChatMessage> abConversation(String systemPrompt, String question, String answer) {
        List<ChatMessage> out = new ArrayList<>();
        if (systemPrompt != null) {
            out.add(ChatMessage.system(systemPrompt));
        }
        out.add(ChatMessage.user(question));
        String a = answer.strip();
        if (a.length() == 3 && a.charAt(0) == '(' && a.charAt(2) == ')') {
            a = a.substring(0, 2);
        }
        out.add(ChatMessage.assistant(a));
        return out;
    }
}
