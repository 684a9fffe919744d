package io.steer4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.steer4j.core.plan.SteeringPlan;

import java.util.Objects;

/**
 * LangChain4j request parameters plus the steering of one request (and a sampling seed). Set them as a model's
 * defaults or on a single {@code ChatRequest}; the request's plan, when it has one, replaces the default's.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .messages(UserMessage.from("Tell me about your day."))
 *         .parameters(SteeringChatRequestParameters.builder().plan(SteeringPlan.of(happy, 4.0))
 *                 .maxOutputTokens(60).build())
 *         .build();
 * ChatResponse response = chatModel.chat(request);
 * }</pre>
 */
public final class SteeringChatRequestParameters extends DefaultChatRequestParameters {
    private final SteeringPlan plan;
    private final Long seed;

    private SteeringChatRequestParameters(Builder b) {
        super(b);
        this.plan = b.plan;
        this.seed = b.seed;
    }

    /** The steering, or null to keep the model's default. */
    public SteeringPlan plan() {
        return plan;
    }

    /** The sampling seed, or null for the model's default. */
    public Long seed() {
        return seed;
    }

    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SteeringChatRequestParameters s && super.equals(o) && Objects.equals(plan, s.plan)
                && Objects.equals(seed, s.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), plan, seed);
    }

    /**
     * @return a builder with nothing set
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of {@link SteeringChatRequestParameters}, with all of LangChain4j's parameters too. */
    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private SteeringPlan plan;
        private Long seed;

        /** Copies the parameters of {@code p}; its plan and seed too when it has them. */
        @Override
        public Builder overrideWith(ChatRequestParameters p) {
            super.overrideWith(p);
            if (p instanceof SteeringChatRequestParameters s) {
                if (s.plan != null) {
                    plan = s.plan;
                }
                if (s.seed != null) {
                    seed = s.seed;
                }
            }
            return this;
        }

        /** The steering of the request ({@link SteeringPlan#NONE} for the plain model). */
        public Builder plan(SteeringPlan p) {
            this.plan = p;
            return this;
        }

        /** The sampling seed (used when a temperature above 0 is set). */
        public Builder seed(Long s) {
            this.seed = s;
            return this;
        }

        @Override
        public SteeringChatRequestParameters build() {
            return new SteeringChatRequestParameters(this);
        }
    }
}
