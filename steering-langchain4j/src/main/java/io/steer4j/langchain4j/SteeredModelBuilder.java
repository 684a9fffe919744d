package io.steer4j.langchain4j;

import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.steering.SteeredModel;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Builds a {@link SteeredChatModel} or a {@link SteeredStreamingChatModel}: the chat format (default: the model's
 * own template), the model name reported in responses, the default request parameters (steering included) and,
 * for streaming, the executor that runs the generations.
 *
 * @param <M> the model built
 */
public final class SteeredModelBuilder<M> {
    /** Creates the model from its parts. */
    interface Factory<M> {
        M create(ChatRun run, Executor executor);
    }

    private final SteeredModel model;
    private final Factory<M> factory;
    private ChatFormat format;
    private String modelName;
    private SteeringChatRequestParameters defaults = SteeringChatRequestParameters.builder().build();
    private Executor executor = r -> {
        Thread t = new Thread(r, "steer4j-langchain4j");
        t.setDaemon(true);
        t.start();
    };

    SteeredModelBuilder(SteeredModel model, Factory<M> factory) {
        this.model = Objects.requireNonNull(model, "model");
        this.factory = factory;
    }

    SteeredModelBuilder(SteeredModel model, java.util.function.Function<ChatRun, M> factory) {
        this(model, (run, executor) -> factory.apply(run));
    }

    /** Renders conversations with this format instead of the model folder's chat template. */
    public SteeredModelBuilder<M> chatFormat(ChatFormat f) {
        this.format = f;
        return this;
    }

    /** The model name reported in responses (default: the model's id). */
    public SteeredModelBuilder<M> modelName(String name) {
        this.modelName = name;
        return this;
    }

    /** Parameters every request starts from (a request's own ones override them). */
    public SteeredModelBuilder<M> defaultRequestParameters(SteeringChatRequestParameters p) {
        this.defaults = Objects.requireNonNull(p, "parameters");
        return this;
    }

    /** Where streaming generations run (default: a new daemon thread each). */
    public SteeredModelBuilder<M> executor(Executor e) {
        this.executor = Objects.requireNonNull(e, "executor");
        return this;
    }

    /**
     * @return the model
     */
    public M build() {
        ChatFormat f = format;
        Supplier<ChatFormat> supplier = f != null ? () -> f : model::chatFormat;
        String name = modelName != null ? modelName : model.model().modelId();
        return factory.create(new ChatRun(model, supplier, name, defaults), executor);
    }
}
