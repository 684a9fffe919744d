package io.steer4j.cli;

import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.core.plan.TokenScope;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.chat.ChatFormat;
import io.steer4j.djl.chat.ChatTemplate;
import io.steer4j.djl.generation.CancellationToken;
import io.steer4j.djl.generation.FinishReason;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.generation.GenerationResult;
import io.steer4j.djl.generation.PromptText;
import io.steer4j.djl.generation.TokenListener;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** {@code steer4j generate}: generates text, optionally steered by vector files, streaming tokens to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text, optionally steered by vector files (tokens are streamed).",
                "Generates a continuation of PROMPT, steered by the sum of the given vectors.",
                "Tokens are streamed to stdout as they are generated. Decoding is greedy unless --temperature,"
                        + " --top-k or --top-p is given."},
        footer = {"", "Examples:",
                "  steer4j generate --model gpt2 \"The weather today is\"",
                "  steer4j generate --model gpt2 --vector happy.safetensors:4 \\",
                "      --compare \"I think that\"",
                "  steer4j generate --model gpt2 --vector happy.gguf:3 \\",
                "      --vector formal.safetensors:2 --layers 5,6 --scope generated \\",
                "      --temperature 0.8 --top-p 0.95 --seed 7 \"Hi\"",
                "  steer4j generate --model Qwen/Qwen2-0.5B-Instruct --chat --system \"You are a support agent.\" \\",
                "      --vector empathy.safetensors:4 --scope assistant \"My order never arrived.\""})
public final class GenerateCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "Model folder (config.json, model.safetensors, tokenizer.json) or Hugging Face id, "
                    + "e.g. gpt2.")
    String model;

    @Option(names = "--max-tokens", defaultValue = "40", paramLabel = "N",
            description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--greedy", description = "Greedy decoding (the default; cannot be combined with sampling "
            + "options).")
    boolean greedy;

    @Option(names = "--temperature", paramLabel = "T", description = "Sample with this temperature (> 0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample from the K most likely tokens.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling: keep tokens up to "
            + "cumulative probability P, in (0, 1].")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--repetition-penalty", paramLabel = "R", defaultValue = "1.0",
            description = "Penalty on tokens already present, 1 = off (default: ${DEFAULT-VALUE}).")
    double repetitionPenalty;

    @Option(names = "--vector", paramLabel = "FILE[:STRENGTH]",
            description = {"Steering vector file (.safetensors, .gguf, .svec, torch.save .pt or a CAA folder) and "
                    + "multiplier (default 1.0); a .pt holding one bare tensor takes its layers as FILE@3 or "
                    + "FILE@2-4.",
                    "Repeat to add several vectors; use a negative strength to steer away."})
    List<String> vectors = new ArrayList<>();

    @Option(names = "--layers", paramLabel = "LIST",
            description = "Apply the vectors only at these layers, e.g. 3,4,5 or 4-8 (default: every layer "
                    + "each vector has).")
    String layers;

    @Option(names = "--scope", paramLabel = "SCOPE", defaultValue = "all",
            description = "Which tokens to steer: all, prompt, generated, from:N, ranges:A-B,C- or (with --chat) "
                    + "assistant (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--chat", description = {"Treat PROMPT as a user message: render it with the model's chat "
            + "template and the generation prompt, stop at the end of the assistant's turn, print the reply."})
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt before the user message "
            + "(with --chat).")
    String system;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "A Jinja chat template to use instead "
            + "of the model's (e.g. for a base model without one); implies --chat.")
    java.nio.file.Path chatTemplate;

    @Option(names = "--compare", description = "Print the unsteered and the steered generation one after the "
            + "other.")
    boolean compare;

    @Parameters(paramLabel = "PROMPT", arity = "1..*",
            description = "The prompt (several words are joined with spaces).")
    List<String> promptWords;

    /** Set by run() when --chat is given. */
    private ChatFormat chatFormat;
    private List<ChatMessage> messages;

    @Override
    protected int run() throws Exception {
        String prompt = String.join(" ", promptWords);
        boolean sampling = temperature != null || topK != null || topP != null;
        if (greedy && sampling) {
            throw usage("--greedy cannot be combined with --temperature, --top-k or --top-p");
        }
        if (maxTokens < 0) {
            throw usage("--max-tokens must be >= 0, got " + maxTokens);
        }
        if (compare && vectors.isEmpty()) {
            throw usage("--compare needs at least one --vector");
        }
        if (layers != null && vectors.isEmpty()) {
            throw usage("--layers applies to vectors; give at least one --vector");
        }
        chat |= chatTemplate != null;
        if (system != null && !chat) {
            throw usage("--system needs --chat");
        }
        if (scope.equals("assistant") && !chat) {
            throw usage("--scope assistant needs --chat");
        }
        if (chatTemplate != null) {
            requireFile(chatTemplate, "chat template");
        }
        TokenScope tokenScope;
        List<CliSupport.VectorSpec> specs = new ArrayList<>();
        GenerationConfig config;
        try {
            // a chat's assistant tokens are the generated reply (the history here is one user turn)
            tokenScope = scope.equals("assistant") ? TokenScope.generatedOnly() : TokenScope.parse(scope);
            for (String v : vectors) {
                specs.add(CliSupport.VectorSpec.parse(v, 1.0));
            }
            GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(maxTokens).seed(seed)
                    .repetitionPenalty(repetitionPenalty);
            if (temperature != null) {
                b.temperature(temperature);
            }
            if (topK != null) {
                b.topK(topK);
            }
            if (topP != null) {
                b.topP(topP);
            }
            config = b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        for (CliSupport.VectorSpec s : specs) {
            VectorArgument a = VectorArgument.parse(s.file());
            if (!a.isFolder()) {
                requireFile(a.file(), "vector file");
            }
        }

        try (LanguageModel lm = CliSupport.loadModel(model, deviceOption)) {
            List<Integer> only = null;
            if (layers != null) {
                try {
                    only = CliSupport.parseLayers(layers, lm.numLayers());
                } catch (IllegalArgumentException e) {
                    throw usage("--layers: " + e.getMessage());
                }
            }
            SteeringPlan plan = SteeringPlan.NONE;
            List<String> labels = new ArrayList<>();
            for (CliSupport.VectorSpec s : specs) {
                SteeringVector v = VectorArgument.parse(s.file()).read(java.util.OptionalInt.of(lm.numLayers()));
                if (v.hiddenSize() != lm.hiddenSize()) {
                    throw usage("vector " + s.file() + " has hidden size " + v.hiddenSize() + " but model "
                            + model + " has " + lm.hiddenSize());
                }
                String from = v.metadata().modelId();
                if (!from.isEmpty() && !from.equals(lm.modelId())) {
                    err().println("note: " + s.file() + " was computed on model '" + from + "', steering '"
                            + lm.modelId() + "'");
                }
                List<Integer> use = new ArrayList<>(v.layers());
                if (only != null) {
                    use.retainAll(only);
                    if (use.isEmpty()) {
                        throw usage("vector " + s.file() + " has none of the layers " + only + "; it has layers "
                                + v.layers());
                    }
                }
                for (int l : use) {
                    if (l >= lm.numLayers()) {
                        throw usage("vector " + s.file() + " has layer " + l + " but model " + model + " has "
                                + lm.numLayers() + " layers (0.." + (lm.numLayers() - 1) + "); restrict it with "
                                + "--layers");
                    }
                }
                int[] ls = use.stream().mapToInt(Integer::intValue).toArray();
                try {
                    plan = plan.and(SteeringPlan.atLayers(v, s.strength(), ls).withScope(tokenScope));
                } catch (IllegalArgumentException e) { // the strength bound: a usage error, as in sweep
                    throw usage("--vector " + s.file() + ": " + e.getMessage());
                }
                labels.add(s.file().getFileName() + " x" + s.strength() + " at layers " + use);
            }
            int promptTokens;
            try {
                promptTokens = PromptText.encode(lm, prompt, "the prompt").length;
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            int context = lm.config().contextLength();
            if (promptTokens >= context) {   // refused before any output, rather than failing mid-stream
                throw usage("the prompt is " + promptTokens + " tokens long; the model's context holds " + context
                        + " tokens, prompt and generated together");
            }
            SteeredModel steered = SteeredModel.builder(lm).build();
            if (chat) {
                chatFormat = chatTemplate != null
                        ? ChatFormat.of(lm, ChatTemplate.fromFile(chatTemplate, lm.folder())) : ChatFormat.of(lm);
                messages = new ArrayList<>();
                if (system != null) {
                    messages.add(ChatMessage.system(system));
                }
                messages.add(ChatMessage.user(prompt));
            }
            PrintWriter out = out();
            if (compare) {
                out.println("=== unsteered ===");
                stream(steered, prompt, config, SteeringPlan.NONE);
                out.println("=== steered: " + String.join(" + ", labels) + ", scope " + tokenScope + " ===");
            }
            stream(steered, prompt, config, plan);
            return Steer4jCli.EXIT_OK;
        }
    }

    private void stream(SteeredModel steered, String prompt, GenerationConfig config, SteeringPlan plan) {
        PrintWriter out = out();
        TokenListener listener = (row, id, delta) -> {
            out.print(delta);
            out.flush();
        };
        if (chatFormat != null) {
            steered.chat(chatFormat, messages, config, plan, listener, CancellationToken.NEVER);
            out.println();
            out.flush();
            return;
        }
        out.print(prompt);
        out.flush();
        GenerationResult result = steered.generate(prompt, config, plan, listener, CancellationToken.NEVER);
        out.println();
        out.flush();
        if (result.finishReason() == FinishReason.CONTEXT_FULL) {
            err().println("note: generation stopped after " + result.tokens().length + " tokens: the model's context"
                    + " of " + steered.model().config().contextLength() + " tokens is full");
            err().flush();
        }
    }
}
