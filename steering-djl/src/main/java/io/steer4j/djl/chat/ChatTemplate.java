package io.steer4j.djl.chat;

import com.fasterxml.jackson.databind.JsonNode;
import io.steer4j.core.chat.ChatMessage;
import io.steer4j.core.format.UntrustedJson;
import io.steer4j.core.chat.template.JinjaTemplate;
import io.steer4j.core.chat.template.TemplateException;
import io.steer4j.core.chat.template.TemplateLimits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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
 * <p>The engine is steer4j's own chat-template interpreter ({@link JinjaTemplate}), which renders as Python's jinja2
 * with transformers' sandbox settings: 19 published templates and seven families are tested to equal Python's output
 * character for character, and Python's refusals to be refusals. A template is treated as hostile code: it has no
 * loader ({@code include}, {@code import} fail), reaches no Java object, and renders under {@link TemplateLimits}
 * (time, string and list sizes, {@code range()}); see {@link #withLimits(TemplateLimits)}.
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

    private final String source;
    private final JinjaTemplate template;
    private final Map<String, String> specialTokens;
    private final Clock clock;
    private final TemplateLimits limits;

    private ChatTemplate(String source, Map<String, String> specialTokens, Clock clock) {
        this(source, parse(source), specialTokens, clock, TemplateLimits.defaults());
    }

    private ChatTemplate(String source, JinjaTemplate template, Map<String, String> specialTokens, Clock clock,
                         TemplateLimits limits) {
        this.source = source;
        this.template = template;
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.clock = clock;
        this.limits = limits;
    }

    private static JinjaTemplate parse(String source) {
        if (source == null || source.isEmpty()) {
            throw new ChatTemplateException("the chat template is empty");
        }
        try {
            return JinjaTemplate.parse(source);
        } catch (TemplateException e) {
            throw new ChatTemplateException("the chat template cannot be parsed: " + e.getMessage(), e);
        }
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
                config = UntrustedJson.read(configPath);
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read tokenizer_config.json: " + e.getMessage());
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
                tokens = specialTokens(UntrustedJson.read(configPath));
            } catch (IOException e) {
                throw new ChatTemplateException("cannot read tokenizer_config.json: " + e.getMessage());
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
        return new ChatTemplate(source, template, specialTokens, clock, limits);
    }

    /**
     * This template rendering under other limits (the defaults, {@link TemplateLimits#defaults()}, allow 10 s and
     * 16 Mi characters per string).
     */
    public ChatTemplate withLimits(TemplateLimits limits) {
        if (limits == null) {
            throw new IllegalArgumentException("limits is null");
        }
        return new ChatTemplate(source, template, specialTokens, clock, limits);
    }

    /** The limits each render runs under. */
    public TemplateLimits limits() {
        return limits;
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
        String stripped = pythonStrip(finalMessage, true);
        int at = stripped.isEmpty() ? -1 : rendered.lastIndexOf(stripped);
        if (at < 0) {
            throw new ChatTemplateException("the final message does not appear in the rendered chat, so it cannot be"
                    + " continued (the template changes its text): '" + finalMessage + "'");
        }
        String lstripped = pythonStrip(finalMessage, false);
        // transformers compares len(lstrip) characters with the whole message: equal only when the template kept it
        int lengthKept = lstripped.length();
        String kept = rendered.substring(at, Math.min(rendered.length(), at + lengthKept));
        int end = kept.equals(finalMessage) ? at + lengthKept : at + stripped.length();
        return rendered.substring(0, Math.min(end, rendered.length()));
    }

    /** Python's str.strip() (both sides) or str.lstrip(), with Python's whitespace. */
    private static String pythonStrip(String s, boolean right) {
        int b = 0;
        int e = s.length();
        while (b < e && pythonSpace(s.charAt(b))) {
            b++;
        }
        while (right && e > b && pythonSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(b, e);
    }

    private static boolean pythonSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\u001c' && c <= '\u001f') || c == '\u0085'
                || (c > 0x7f && Character.isSpaceChar(c));
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
        return renderMessages(msgs, addGenerationPrompt, extraContext);
    }

    /**
     * Renders messages given as maps, as transformers takes them: besides {@code role} and {@code content} they may
     * hold {@code tool_calls}, {@code reasoning_content}, {@code name}, ... (values: maps, lists, strings, numbers,
     * booleans, null). {@code tools} and {@code documents} are None unless {@code extraContext} gives them, as in
     * {@code apply_chat_template}.
     *
     * @throws ChatTemplateException as {@link #render(List, boolean)}, or when a value is no JSON-like value
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt,
                                 Map<String, ?> extraContext) {
        if (messages == null || messages.isEmpty()) {
            throw new ChatTemplateException("a conversation needs at least one message");
        }
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.put("messages", messages);
        context.put("tools", null);
        context.put("documents", null);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.putAll(extraContext);
        try {
            return template.render(context, limits, clock);
        } catch (TemplateException e) {
            if (e.raisedByTemplate()) {
                throw new ChatTemplateException(e.getMessage(), true, e);
            }
            throw new ChatTemplateException("the chat template cannot be rendered: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ChatTemplateException(e.getMessage(), e);
        }
    }
}
