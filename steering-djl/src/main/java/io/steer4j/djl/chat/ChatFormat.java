package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.format.UntrustedJson;
import io.steer4j.core.plan.PositionRange;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.tokenizer.TextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A model's chat format: its {@link ChatTemplate}, its tokenizer, and the tokens that end an assistant turn.
 * Renders conversations into {@link ChatPrompt}s whose ids are exactly what transformers'
 * {@code apply_chat_template(tokenize=True)} gives: the rendered text encoded without adding special tokens, so a
 * template that writes {@code <s>} itself gets one BOS, not two.
 *
 * <p>End-of-turn tokens: the {@code eos_token_id}s of {@code generation_config.json} and {@code config.json}, the
 * tokenizer's {@code eos_token}, and the usual end-of-turn markers ({@code <|im_end|>}, {@code <|eot_id|>},
 * {@code <end_of_turn>}, {@code <|end|>}, ...) that the template itself writes and that are single tokens.
 *
 * <pre>{@code
 * ChatFormat chat = ChatFormat.of(model);
 * ChatPrompt p = chat.prompt(List.of(ChatMessage.system("Be kind."), ChatMessage.user("My order is late.")));
 * }</pre>
 */
public final class ChatFormat {
    /** End-of-turn markers of common templates; used when the template writes them and they are one token. */
    private static final List<String> END_OF_TURN_MARKERS = List.of("<|im_end|>", "<|eot_id|>", "<|end_of_text|>",
            "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>", "<|end_of_turn|>", "<|END_OF_TURN_TOKEN|>",
            "<|EOT|>", "<eos>");

    private final ChatTemplate template;
    private final TextTokenizer tokenizer;
    private final Set<Long> endOfTurnIds;

    private ChatFormat(ChatTemplate template, TextTokenizer tokenizer, Set<Long> endOfTurnIds) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.endOfTurnIds = Set.copyOf(endOfTurnIds);
    }

    /**
     * The chat format of a loaded model, from its folder's {@code tokenizer_config.json}.
     *
     * @throws ChatTemplateException when the model has no chat template (a base model): pass one with
     *                               {@link #of(LanguageModel, ChatTemplate)}
     */
    public static ChatFormat of(LanguageModel model) {
        ChatTemplate t = ChatTemplate.fromModelDir(model.folder()).orElseThrow(() -> new ChatTemplateException(
                model.modelId() + " has no chat template (no chat_template in tokenizer_config.json and no"
                        + " chat_template.jinja): it is probably a base model; give a template explicitly"));
        return of(model, t);
    }

    /** A model with a template of your choice (e.g. ChatML for a base model you fine-tuned). */
    public static ChatFormat of(LanguageModel model, ChatTemplate template) {
        Set<Long> ids = new LinkedHashSet<>(eosIds(model.folder().resolve("generation_config.json")));
        if (model.config().eosTokenId() >= 0) {
            ids.add((long) model.config().eosTokenId());
        }
        return of(template, model.tokenizer(), ids);
    }

    /**
     * A format from its parts; {@code stopIds} are added to the end-of-turn tokens found from the template.
     */
    public static ChatFormat of(ChatTemplate template, TextTokenizer tokenizer, Set<Long> stopIds) {
        Set<Long> ids = new LinkedHashSet<>(stopIds);
        List<String> markers = new ArrayList<>(END_OF_TURN_MARKERS);
        if (template.eosToken() != null) {
            markers.add(0, template.eosToken());
        }
        for (String marker : markers) {
            if (marker.equals(template.eosToken()) || template.source().contains(marker)) {
                long[] m = tokenizer.encode(marker, false);
                if (m.length == 1) {
                    ids.add(m[0]);
                }
            }
        }
        return new ChatFormat(template, tokenizer, ids);
    }

    private static List<Long> eosIds(Path generationConfig) {
        List<Long> out = new ArrayList<>();
        if (!Files.isRegularFile(generationConfig)) {
            return out;
        }
        try {
            JsonNode eos = UntrustedJson.read(generationConfig).get("eos_token_id");
            if (eos != null && eos.isArray()) {
                eos.forEach(e -> out.add(e.asLong()));
            } else if (eos != null && eos.canConvertToLong()) {
                out.add(eos.asLong());
            }
        } catch (IOException e) {
            throw new ChatTemplateException("cannot read generation_config.json: " + e.getMessage());
        }
        return out;
    }

    /** The template. */
    public ChatTemplate template() {
        return template;
    }

    /** Token ids that end an assistant turn; chat generation stops at them. */
    public Set<Long> endOfTurnIds() {
        return endOfTurnIds;
    }

    /** The conversation with the generation prompt appended, ready for the model to reply. */
    public ChatPrompt prompt(List<ChatMessage> messages) {
        return prompt(messages, ChatEnding.GENERATION_PROMPT);
    }

    /**
     * Renders and tokenizes a conversation, locating each message's tokens.
     *
     * @throws ChatTemplateException when the template refuses the conversation, or (for
     *                               {@link ChatEnding#CONTINUE_FINAL_MESSAGE}) the final message's text does not
     *                               appear in the rendering
     */
    public ChatPrompt prompt(List<ChatMessage> messages, ChatEnding ending) {
        String text = render(messages, ending);
        long[] ids = tokenizer.encode(text, false);
        List<PositionRange> spans = spans(messages, text, ids, ending);
        int replyStart = ids.length;
        if (ending == ChatEnding.GENERATION_PROMPT) {
            String withoutPrompt = template.render(messages, false);
            long[] before = tokenizer.encode(withoutPrompt, false);
            replyStart = text.startsWith(withoutPrompt) && isPrefix(before, ids) ? before.length : ids.length;
        } else if (ending == ChatEnding.CONTINUE_FINAL_MESSAGE && spans.size() == messages.size()) {
            replyStart = spans.get(spans.size() - 1).from();
        }
        return new ChatPrompt(text, ids, messages, ending, spans, replyStart);
    }

    /** The rendered text alone ({@link ChatTemplate#render(List, ChatEnding)}). */
    public String render(List<ChatMessage> messages, ChatEnding ending) {
        return template.render(messages, ending);
    }

    private List<PositionRange> spans(List<ChatMessage> messages, String text, long[] ids, ChatEnding ending) {
        List<PositionRange> spans = new ArrayList<>();
        int previous = 0;
        try {
            for (int i = 1; i <= messages.size(); i++) {
                int end;
                if (i == messages.size() && ending == ChatEnding.CONTINUE_FINAL_MESSAGE) {
                    end = ids.length;
                } else {
                    String prefix = template.render(messages.subList(0, i), false);
                    long[] prefixIds = tokenizer.encode(prefix, false);
                    if (!text.startsWith(prefix) || !isPrefix(prefixIds, ids)) {
                        return List.of();
                    }
                    end = prefixIds.length;
                }
                if (end <= previous) {
                    return List.of();
                }
                spans.add(new PositionRange(previous, end));
                previous = end;
            }
        } catch (ChatTemplateException e) {
            // a template may refuse a prefix (e.g. one that must end with a user turn): positions stay unknown
            return List.of();
        }
        return spans;
    }

    private static boolean isPrefix(long[] prefix, long[] all) {
        return prefix.length <= all.length && Arrays.equals(prefix, 0, prefix.length, all, 0, prefix.length);
    }

    /**
     * The text of the special tokens the tokenizer puts before any text it encodes with special tokens on (for
     * example {@code "<s>"} for a SentencePiece Llama model loaded with {@code SpecialTokens.AS_DEFINED}); empty
     * when it adds none.
     */
    public String addedPrefixText() {
        if (tokenizer.specialTokens() == io.steer4j.djl.tokenizer.SpecialTokens.NONE) {
            return "";
        }
        long[] prefix = tokenizer.specialPrefix();
        return prefix.length == 0 ? "" : tokenizer.decode(prefix, false);
    }
}
