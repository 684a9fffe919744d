package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.steer4j.core.chat.ChatMessage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model's chat template, as Hugging Face defines it: the Jinja {@code chat_template} of
 * {@code tokenizer_config.json}, rendered as transformers' {@code apply_chat_template(tokenize=False)} renders it
 * ({@code trim_blocks} and {@code lstrip_blocks} on, the globals {@code raise_exception} and {@code strftime_now},
 * HF's {@code tojson} filter, the tokenizer's special tokens such as {@code bos_token} and {@code eos_token}).
 *
 * <p>The engine is HubSpot's Jinjava, the maintained Jinja implementation for the JVM. It is an optional dependency
 * of steering-djl: add {@code com.hubspot.jinjava:jinjava} to use chat templates. Renderings of the templates of
 * ChatML (Qwen2), Llama 2, Llama 3, Mistral, Zephyr, Phi-3 and Gemma are tested to equal Python's jinja2 character
 * for character.
 *
 * <p>The rendered text already holds the template's special tokens (a Llama 2 template writes {@code <s>} itself):
 * encode it without adding special tokens, as {@code apply_chat_template(tokenize=True)} does, or the model sees BOS
 * twice. Instances are immutable and safe to share between threads.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.fromModelDir(modelDir).orElseThrow();
 * String prompt = t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi")), true);
 * }</pre>
 */
public final class ChatTemplate {
    /** Special-token fields of {@code tokenizer_config.json} that transformers passes to templates. */
    private static final List<String> SPECIAL_TOKEN_FIELDS =
            List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token");
    /** Context key under which a render passes its clock to {@code strftime_now}. */
    static final String CLOCK_KEY = "__steer4j_clock__";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Jinjava ENGINE = engine();

    private final String source;
    /** What the engine renders: jinja2 drops one trailing newline of the source (keep_trailing_newline off). */
    private final String engineSource;
    private final Map<String, String> specialTokens;
    private final Clock clock;

    private ChatTemplate(String source, Map<String, String> specialTokens, Clock clock) {
        if (source == null || source.isEmpty()) {
            throw new ChatTemplateException("the chat template is empty");
        }
        this.source = source;
        this.engineSource = source.endsWith("\r\n") ? source.substring(0, source.length() - 2)
                : source.endsWith("\n") || source.endsWith("\r") ? source.substring(0, source.length() - 1) : source;
        TemplateSupportCheck.check(this.engineSource, ENGINE.getGlobalContext());
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.clock = clock;
    }

    /**
     * A template from its Jinja text and the tokenizer's BOS and EOS strings (either may be null: the template
     * then sees them undefined, as transformers passes only the tokens a tokenizer has).
     */
    public static ChatTemplate of(String source, String bosToken, String eosToken) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (bosToken != null) {
            tokens.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            tokens.put("eos_token", eosToken);
        }
        return new ChatTemplate(source, tokens, Clock.systemDefaultZone());
    }

    /**
     * The default chat template of a model folder: {@code chat_template} of {@code tokenizer_config.json} (a string,
     * or the named list form, from which the entry named {@code default} is taken), else a
     * {@code chat_template.jinja} file beside it. Empty when the model has none (a base model).
     *
     * @throws ChatTemplateException when the file is unreadable or a named list has no {@code default} entry
     */
    public static Optional<ChatTemplate> fromModelDir(Path modelDir) {
        return fromModelDir(modelDir, null);
    }

    /**
     * As {@link #fromModelDir(Path)}, choosing the named template {@code name} (e.g. {@code tool_use}) of the list
     * form; {@code null} means {@code default} (or the only string form).
     *
     * @throws ChatTemplateException when the file is unreadable or no template has that name
     */
    public static Optional<ChatTemplate> fromModelDir(Path modelDir, String name) {
        Path configPath = modelDir.resolve("tokenizer_config.json");
        JsonNode config = null;
        if (Files.isRegularFile(configPath)) {
            try {
                config = JSON.readTree(configPath.toFile());
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read " + configPath + ": " + e.getMessage(), e);
            }
        }
        Map<String, String> tokens = specialTokens(config);
        String source = null;
        if (config != null && config.isObject()) {
            source = templateText(config.get("chat_template"), name, configPath);
        }
        Path jinjaFile = modelDir.resolve("chat_template.jinja");
        if (source == null && Files.isRegularFile(jinjaFile)) {
            try {
                source = Files.readString(jinjaFile);
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read " + jinjaFile + ": " + e.getMessage(), e);
            }
        }
        if (source == null) {
            if (name != null) {
                throw new ChatTemplateException(modelDir + " has no chat template named '" + name + "'");
            }
            return Optional.empty();
        }
        return Optional.of(new ChatTemplate(source, tokens, Clock.systemDefaultZone()));
    }

    /**
     * A template of your own from a Jinja file (for a base model without one, or to try another format), seeing
     * the special tokens of {@code modelDir}'s {@code tokenizer_config.json} (none when it has no such file).
     *
     * @throws ChatTemplateException when a file cannot be read
     */
    public static ChatTemplate fromFile(Path jinjaFile, Path modelDir) {
        String source;
        try {
            source = Files.readString(jinjaFile);
        } catch (IOException e) {
            throw new ChatTemplateException("cannot read the chat template " + jinjaFile + ": " + e.getMessage(), e);
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        Path configPath = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(configPath)) {
            try {
                tokens = specialTokens(JSON.readTree(configPath.toFile()));
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read " + configPath + ": " + e.getMessage(), e);
            }
        }
        return new ChatTemplate(source, tokens, Clock.systemDefaultZone());
    }

    private static String templateText(JsonNode node, String name, Path file) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            if (name != null && !name.equals("default")) {
                throw new ChatTemplateException(file + " has a single chat template, none named '" + name + "'");
            }
            return node.asText();
        }
        if (node.isArray()) {
            String wanted = name == null ? "default" : name;
            List<String> names = new ArrayList<>();
            for (JsonNode entry : node) {
                String n = entry.path("name").asText(null);
                names.add(n);
                if (wanted.equals(n) && entry.path("template").isTextual()) {
                    return entry.get("template").asText();
                }
            }
            throw new ChatTemplateException(file + " has no chat template named '" + wanted + "' (it has " + names + ")");
        }
        throw new ChatTemplateException(file + ": chat_template must be a string or a list of {name, template}, got "
                + node.getNodeType());
    }

    /** The {@link #SPECIAL_TOKEN_FIELDS} that {@code config} (tokenizer_config.json, may be null) gives as text. */
    private static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> tokens = new LinkedHashMap<>();
        if (config != null && config.isObject()) {
            for (String field : SPECIAL_TOKEN_FIELDS) {
                String token = tokenText(config.get(field));
                if (token != null) {
                    tokens.put(field, token);
                }
            }
        }
        return tokens;
    }

    /** A special token as a string, or in its added-token object form {@code {"content": "<s>", ...}}. */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        JsonNode content = node.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    /** This template reading the time for {@code strftime_now} from {@code clock} (for reproducible prompts). */
    public ChatTemplate withClock(Clock clock) {
        if (clock == null) {
            throw new IllegalArgumentException("clock is null");
        }
        return new ChatTemplate(source, specialTokens, clock);
    }

    /** The Jinja source. */
    public String source() {
        return source;
    }

    /** The special tokens the template sees ({@code bos_token}, {@code eos_token}, ...), by field name. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The BOS string the template sees, or null. */
    public String bosToken() {
        return specialTokens.get("bos_token");
    }

    /** The EOS string the template sees, or null. */
    public String eosToken() {
        return specialTokens.get("eos_token");
    }

    /**
     * Renders a conversation.
     *
     * @param addGenerationPrompt append the opening of an assistant turn (e.g. {@code <|im_start|>assistant\n}) so
     *                            the model writes the reply
     * @throws ChatTemplateException when the template refuses the conversation ({@code raise_exception}) or uses
     *                               something the engine does not support
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders a conversation ending as {@code ending} says. {@link ChatEnding#CONTINUE_FINAL_MESSAGE} follows
     * transformers' {@code continue_final_message}: the conversation is rendered without generation prompt and cut
     * after the last occurrence of the final message's text (stripped, when the template strips it).
     *
     * @throws ChatTemplateException as {@link #render(List, boolean)}, or when the final message's text does not
     *                               appear in the rendering
     */
    public String render(List<ChatMessage> messages, ChatEnding ending) {
        if (ending != ChatEnding.CONTINUE_FINAL_MESSAGE) {
            return render(messages, ending == ChatEnding.GENERATION_PROMPT);
        }
        if (messages == null || messages.isEmpty()) {
            throw new ChatTemplateException("a conversation needs at least one message");
        }
        return continueFinalMessage(render(messages, false), messages.get(messages.size() - 1).content());
    }

    /** transformers' continue_final_message: cut after the last occurrence of the final message's text. */
    static String continueFinalMessage(String rendered, String finalMessage) {
        String stripped = PythonStringMethods.strip(finalMessage, null, true, true);
        int at = stripped.isEmpty() ? -1 : rendered.lastIndexOf(stripped);
        if (at < 0) {
            throw new ChatTemplateException("the final message does not appear in the rendered chat, so it cannot be"
                    + " continued (the template changes its text): '" + finalMessage + "'");
        }
        String lstripped = PythonStringMethods.strip(finalMessage, null, true, false);
        // transformers compares len(lstrip) characters with the whole message: equal only when the template kept it
        int lengthKept = lstripped.length();
        String kept = rendered.substring(at, Math.min(rendered.length(), at + lengthKept));
        int end = kept.equals(finalMessage) ? at + lengthKept : at + stripped.length();
        return rendered.substring(0, Math.min(end, rendered.length()));
    }

    /**
     * Renders a conversation with extra template variables, as {@code apply_chat_template(..., **kwargs)} does
     * (e.g. {@code tools}, {@code documents}, {@code date_string}); they may override the special tokens.
     *
     * @throws ChatTemplateException as {@link #render(List, boolean)}
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraContext) {
        if (messages == null || messages.isEmpty()) {
            throw new ChatTemplateException("a conversation needs at least one message");
        }
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            if (m == null) {
                throw new ChatTemplateException("a conversation holds a null message");
            }
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", msgs);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(extraContext);
        context.put(CLOCK_KEY, clock);
        RenderResult result;
        try {
            result = ENGINE.renderForResult(engineSource, context);
        } catch (TemplateRaised e) {
            throw new ChatTemplateException(e.getMessage(), true, null);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ChatTemplateException("the chat template cannot be rendered: " + e.getMessage(), e);
        }
        for (TemplateError error : result.getErrors()) {
            Throwable cause = error.getException();
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof TemplateRaised raised) {
                    throw new ChatTemplateException(raised.getMessage(), true, null);
                }
                if (t instanceof ChatTemplateException cte) {
                    throw cte;
                }
            }
        }
        if (!result.getErrors().isEmpty()) {
            TemplateError first = result.getErrors().get(0);
            throw new ChatTemplateException("the chat template uses something the JVM Jinja engine does not support"
                    + " or has an error, at line " + first.getLineno() + ": " + first.getMessage()
                    + (first.getFieldName() == null ? "" : " ('" + first.getFieldName() + "')"), first.getException());
        }
        return result.getOutput();
    }

    /** Thrown by {@code raise_exception(message)} inside a template. */
    static final class TemplateRaised extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TemplateRaised(String message) {
            super(message, null, false, false);
        }
    }

    /** The template global {@code raise_exception(message)}. */
    public static Object raiseException(Object message) {
        throw new TemplateRaised(String.valueOf(message));
    }

    /** The template global {@code strftime_now(format)}: the current time formatted as Python's strftime does. */
    public static String strftimeNow(String format) {
        Object clock = com.hubspot.jinjava.interpret.JinjavaInterpreter.getCurrent() == null ? null
                : com.hubspot.jinjava.interpret.JinjavaInterpreter.getCurrent().getContext().get(CLOCK_KEY);
        Clock c = clock instanceof Clock k ? k : Clock.systemDefaultZone();
        return PythonStrftime.format(format, ZonedDateTime.now(c));
    }

    private static Jinjava engine() {
        // Python's str methods first, then Jinjava's own resolution (read-only: templates cannot mutate inputs)
        jinjava.javax.el.CompositeELResolver resolver = new jinjava.javax.el.CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(com.hubspot.jinjava.el.JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withElResolver(resolver)
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withKeepTrailingNewline(true)
                // Jinjava cuts range() at 1,000 items silently; Python does not (a long history loops over
                // range(messages|length)). A bound remains so a hostile template cannot build a huge list.
                .withRangeLimit(1_000_000)
                // a template from a downloaded model must not be able to fill the heap with output
                .withMaxOutputSize(64L << 20)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        .build())
                .build();
        Jinjava jinjava = new Jinjava(config);
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getMethod("raiseException", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class.getMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        jinjava.getGlobalContext().registerFilter(new ToJsonFilter());
        return jinjava;
    }
}
