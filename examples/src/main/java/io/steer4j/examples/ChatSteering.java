package io.steer4j.examples;

import io.steer4j.core.chat.ChatDataset;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.chat.ChatPersonaDatasetBuilder;
import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.chat.ChatDatasets;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatReadPoint;
import io.steer4j.djl.chat.ChatTemplate;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import io.steer4j.djl.steering.SteeringVectorComputer;

import java.nio.file.Path;
import java.util.List;

/**
 * README use case "a more empathetic support assistant": an empathy vector from chat-form persona pairs (repeng's
 * recipe, rendered by the model's own chat template and read at the assistant's last token), then one support
 * conversation with a system prompt answered without steering and with the vector added to the assistant's tokens
 * only.
 *
 * <pre>
 * java -cp steer4j.jar io.steer4j.examples.ChatSteering [model] [strength] [maxTokens] [chatTemplate.jinja]
 * </pre>
 * The model needs a chat template (an instruct model), or pass a Jinja file for a base model.
 */
public final class ChatSteering {
    /** The system prompt of the support conversation. */
    public static final String SYSTEM = "You are the support assistant of an online shop. Answer in two sentences.";
    /** The customer's message. */
    public static final String CUSTOMER = "My package was due a week ago, nobody answers my emails, and it was a"
            + " birthday present for my daughter.";

    private ChatSteering() {
    }

    /**
     * The two replies.
     *
     * @param layer     where the vector was read and added
     * @param strength  its multiplier
     * @param prompt    the rendered conversation the model replied to
     * @param unsteered the plain model's reply
     * @param steered   the reply with the empathy vector on the assistant's tokens
     */
    public record Result(int layer, double strength, String prompt, String unsteered, String steered) {
    }

    /** The empathy recipe: persona pairs × reply beginnings, with the support system prompt. */
    public static ChatDataset empathyDataset() {
        return new ChatPersonaDatasetBuilder()
                .name("empathy")
                .systemTemplate(SYSTEM)
                .userTemplate("Act as if you're extremely {persona}.")
                .personaPair("empathetic and caring", "cold and indifferent")
                .personaPair("warm and understanding", "dismissive and curt")
                .suffixes(List.of("I", "I'm", "I understand", "Thank you for", "That", "Oh", "We", "Your order",
                        "Let me", "Sorry", "Please", "It", "This", "Honestly", "Well", "You"))
                .build();
    }

    /** Computes the vector at the middle layer and answers the customer twice. */
    public static Result run(LanguageModel model, ChatFormat format, double strength, int maxTokens) {
        int layer = Examples.middleLayer(model);
        ContrastiveDataset pairs = ChatDatasets.render(format, empathyDataset(),
                ChatReadPoint.ASSISTANT_TOKEN);
        SteeringVector empathy = SteeringVectorComputer.builder(model).layers(layer).keepActivations(false).build()
                .compute(pairs).vector();

        List<ChatMessage> conversation = List.of(ChatMessage.system(SYSTEM), ChatMessage.user(CUSTOMER));
        SteeredModel steered = SteeredModel.builder(model).build();
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(maxTokens).repetitionPenalty(1.2).build();
        // only what the assistant says is steered: the system prompt and the customer's words are read as they are
        SteeringPlan plan = SteeringPlan.of(empathy, strength).withScope(TokenScope.generatedOnly());
        String plain = steered.chat(format, conversation, greedy, SteeringPlan.NONE,
                io.steer4j.djl.generation.TokenListener.NONE, io.steer4j.djl.generation.CancellationToken.NEVER)
                .message().content();
        String kind = steered.chat(format, conversation, greedy, plan,
                io.steer4j.djl.generation.TokenListener.NONE, io.steer4j.djl.generation.CancellationToken.NEVER)
                .message().content();
        return new Result(layer, strength, format.prompt(conversation).text(), plain, kind);
    }

    /** Runs the example: {@code [model] [strength] [maxTokens] [chatTemplate.jinja]}. */
    public static void main(String[] args) {
        double strength = Examples.doubleArg(args, 1, 4.0);
        int maxTokens = Examples.intArg(args, 2, 60);
        try (LanguageModel model = LanguageModel.load(Examples.modelRef(args))) {
            ChatFormat format = args.length > 3
                    ? ChatFormat.of(model, ChatTemplate.fromFile(Path.of(args[3]), model.folder()))
                    : ChatFormat.of(model);
            Result r = run(model, format, strength, maxTokens);
            System.out.println("prompt as the model sees it:");
            System.out.println(r.prompt());
            System.out.printf("--- unsteered ---%n%s%n", r.unsteered().strip());
            System.out.printf("--- empathy vector, layer %d, strength %.1f, assistant tokens only ---%n%s%n",
                    r.layer(), r.strength(), r.steered().strip());
        }
    }
}
