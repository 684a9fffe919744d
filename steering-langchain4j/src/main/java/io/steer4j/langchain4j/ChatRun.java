package io.steer4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatResult;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.steering.SteeredModel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * What both LangChain4j models share: a request's messages and parameters turned into a {@link SteeredModel#chat}
 * call, and its result into a {@link ChatResponse}.
 */
final class ChatRun {
    private final SteeredModel model;
    private final Supplier<ChatFormat> format;
    private final String modelName;
    private final SteeringChatRequestParameters defaults;

    ChatRun(SteeredModel model, Supplier<ChatFormat> format, String modelName, SteeringChatRequestParameters defaults) {
        this.model = model;
        this.format = format;
        this.modelName = modelName;
        this.defaults = defaults;
    }

    SteeringChatRequestParameters defaults() {
        return defaults;
    }

    ChatResponse run(ChatRequest request, TokenListener listener, CancellationToken cancel) {
        ChatRequestParameters p = request.parameters() == null ? defaults : request.parameters();
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported by the steered model");
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            throw new UnsupportedFeatureException("stop sequences are not supported by the steered model; it stops at "
                    + "the chat template's end-of-turn tokens");
        }
        if (p.responseFormat() != null && p.responseFormat().jsonSchema() != null) {
            throw new UnsupportedFeatureException("JSON schema response formats are not supported by the steered model");
        }
        SteeringPlan plan = SteeringPlan.NONE;
        Long seed = null;
        if (p instanceof SteeringChatRequestParameters s) {
            plan = s.plan() == null ? SteeringPlan.NONE : s.plan();
            seed = s.seed();
        }
        GenerationConfig.Builder b = GenerationConfig.builder()
                .maxNewTokens(p.maxOutputTokens() == null ? Integer.MAX_VALUE : p.maxOutputTokens())
                .seed(seed == null ? 0 : seed);
        if (p.temperature() != null && p.temperature() > 0) {
            b.temperature(p.temperature());
            if (p.topP() != null) {
                b.topP(p.topP());
            }
            if (p.topK() != null) {
                b.topK(p.topK());
            }
        }
        ChatResult r = model.chat(format.get(), messages(request.messages()), b.build(), plan, listener, cancel);
        FinishReason finish = switch (r.generation().finishReason()) {
            case EOS, STOP_TOKEN -> FinishReason.STOP;
            case LENGTH, CONTEXT_FULL -> FinishReason.LENGTH;
        };
        return ChatResponse.builder().aiMessage(AiMessage.from(r.message().content()))
                .metadata(ChatResponseMetadata.builder().modelName(p.modelName() == null ? modelName : p.modelName())
                        .tokenUsage(new TokenUsage(r.prompt().length(), r.generation().tokens().length))
                        .finishReason(finish).build())
                .build();
    }

    private static List<io.steer4j.core.chat.ChatMessage> messages(List<ChatMessage> in) {
        List<io.steer4j.core.chat.ChatMessage> out = new ArrayList<>();
        for (ChatMessage m : in) {
            if (m instanceof SystemMessage s) {
                out.add(io.steer4j.core.chat.ChatMessage.system(s.text()));
            } else if (m instanceof UserMessage u) {
                if (!u.hasSingleText()) {
                    throw new UnsupportedFeatureException("only text user messages are supported by the steered "
                            + "model");
                }
                out.add(io.steer4j.core.chat.ChatMessage.user(u.singleText()));
            } else if (m instanceof AiMessage a) {
                if (a.hasToolExecutionRequests()) {
                    throw new UnsupportedFeatureException("tool calls are not supported by the steered model");
                }
                out.add(io.steer4j.core.chat.ChatMessage.assistant(a.text() == null ? "" : a.text()));
            } else {
                throw new UnsupportedFeatureException(m.type() + " messages are not supported by the steered model");
            }
        }
        return out;
    }
}
