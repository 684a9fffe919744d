package io.steer4j.server;

import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatPrompt;
import io.steer4j.djl.chat.ChatTemplateException;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationCancelledException;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs a {@link CompletionRequest} on the steered model, as {@link SteeredModel#generate} and
 * {@link SteeredModel#chat} would (same prompt ids, same stop ids, same sampling), through its continuous batcher.
 */
final class CompletionService {
    /** What a request produced. */
    record Completion(String text, String finishReason, int promptTokens, int completionTokens) {
    }

    private final SteeredModel steered;
    private final LanguageModel model;
    private final Supplier<ChatFormat> chatFormat;

    CompletionService(SteeredModel steered, Supplier<ChatFormat> chatFormat) {
        this.steered = steered;
        this.model = steered.model();
        this.chatFormat = chatFormat;
    }

    /**
     * Generates; {@code onText} receives the text as it is released (stop sequences held back), on the batcher's
     * thread, so it must not block.
     *
     * @throws OpenAiException               for a request the model cannot take (no chat template, too long)
     * @throws GenerationCancelledException when {@code cancel} was cancelled (the client went away)
     */
    Completion run(CompletionRequest req, Consumer<String> onText, CancellationToken cancel) {
        long[] ids;
        Set<Long> stopIds = new LinkedHashSet<>();
        if (req.chat()) {
            ChatFormat format;
            try {
                format = chatFormat.get();
            } catch (ChatTemplateException e) {
                throw OpenAiException.invalid("messages", e.getMessage() + " (start the server with "
                        + "--chat-template FILE, or use /v1/completions)");
            }
            ChatPrompt p;
            try {
                p = format.prompt(req.messages());
            } catch (ChatTemplateException e) {
                throw OpenAiException.invalid("messages", "the chat template refused the conversation: "
                        + e.getMessage());
            }
            ids = p.ids();
            stopIds.addAll(format.endOfTurnIds());
        } else {
            ids = model.tokenizer().encode(req.prompt());
        }
        if (ids.length == 0) {
            throw OpenAiException.invalid(req.chat() ? "messages" : "prompt", "the prompt comes to no tokens");
        }
        int context = model.config().contextLength();
        int room = context - ids.length;
        int max = req.maxTokens() == null ? room : req.maxTokens();
        if (room < 1 || max > room) {
            String field = req.chat() ? "messages" : "prompt";
            throw new OpenAiException(400, "invalid_request_error", req.maxTokens() == null ? field : "max_tokens",
                    "context_length_exceeded", "This model's maximum context length is " + context + " tokens. "
                    + "However, you requested " + ((long) ids.length + Math.max(max, 1)) + " tokens (" + ids.length
                    + " in the " + field + ", " + Math.max(max, 1) + " for the completion). Please reduce the "
                    + field + " or the completion length.");
        }
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(max).seed(req.seed())
                .stopTokenIds(stopIds);
        if (req.temperature() > 0) {
            b.temperature(req.temperature());
            if (req.topP() < 1) {
                b.topP(req.topP());
            }
        }
        GenerationConfig config = b.build();

        StopStrings stops = new StopStrings(req.stops());
        StringBuilder released = new StringBuilder();
        StringBuilder streamed = new StringBuilder();
        int[] tokens = {0};
        TokenListener listener = (row, id, delta) -> {
            if (stops.stopped()) {
                return;
            }
            tokens[0]++;
            streamed.append(delta);
            String out = stops.feed(delta);
            if (!out.isEmpty()) {
                released.append(out);
                onText.accept(out);
            }
            if (stops.stopped()) {
                cancel.cancel(); // the batcher drops the row before its next step
            }
        };
        try {
            GenerationResult r = steered.generateIds(ids, config, req.plan(), listener, cancel);
            // The token stream holds back text that ends in an incomplete character; a generation that ends
            // there has it only in the result's text (as U+FFFD), so it is released here.
            String rest = !stops.stopped() && r.text().startsWith(streamed.toString())
                    ? r.text().substring(streamed.length()) : "";
            String tail = stops.feed(rest) + stops.flush();
            if (!tail.isEmpty()) {
                released.append(tail);
                onText.accept(tail);
            }
            if (stops.stopped()) { // met in the row's last step, before the cancellation was seen
                return new Completion(released.toString(), "stop", ids.length, tokens[0]);
            }
            String finish = switch (r.finishReason()) {
                case EOS, STOP_TOKEN -> "stop";
                case LENGTH, CONTEXT_FULL -> "length";
            };
            String text = req.stops().isEmpty() ? r.text() : released.toString();
            return new Completion(text, finish, ids.length, r.tokens().length);
        } catch (GenerationCancelledException e) {
            if (stops.stopped()) {
                return new Completion(released.toString(), "stop", ids.length, tokens[0]);
            }
            throw e;
        }
    }
}
