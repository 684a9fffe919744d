package io.steer4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.djl.chat.ChatTemplate;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code steer4j chat-template}: prints exactly what a chat template renders for a conversation and nothing else,
 * so that it can be compared byte for byte with Python's {@code apply_chat_template(tokenize=False)}.
 */
@Command(name = "chat-template", mixinStandardHelpOptions = true,
        description = {"Render a chat template for a conversation and print exactly the text, nothing else.",
                "Renders as transformers' apply_chat_template(tokenize=False) does (sandboxed jinja2, trim_blocks, "
                        + "lstrip_blocks); tools and documents are None unless given."})
public final class ChatTemplateCommand extends BaseCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final class Source {
        @Option(names = "--template", paramLabel = "FILE", description = "A Jinja chat template file.")
        Path template;

        @Option(names = "--model", paramLabel = "DIR",
                description = "A model folder: its tokenizer_config.json chat_template (or chat_template.jinja) "
                        + "and special tokens.")
        Path model;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--template-name", paramLabel = "NAME",
            description = "With --model: the named template of a list-form chat_template (e.g. tool_use).")
    String templateName;

    @Option(names = "--messages", required = true, paramLabel = "FILE.json",
            description = "The conversation: a JSON array of message objects (role, content, tool_calls, ...).")
    Path messages;

    @Option(names = "--tools", paramLabel = "FILE.json", description = "A JSON array of tool definitions.")
    Path tools;

    @Option(names = "--add-generation-prompt", description = "Append the opening of an assistant turn.")
    boolean addGenerationPrompt;

    @Option(names = "--bos-token", paramLabel = "T", description = "The bos_token the template sees.")
    String bosToken;

    @Option(names = "--eos-token", paramLabel = "T", description = "The eos_token the template sees.")
    String eosToken;

    @Option(names = "--date", paramLabel = "YYYY-MM-DD",
            description = "The day strftime_now sees (at midnight UTC), for reproducible output; default: now.")
    String date;

    @Option(names = "--var", paramLabel = "NAME=VALUE",
            description = "An extra template variable (repeatable). VALUE is read as JSON when it is valid JSON "
                    + "(true, 3, [1], {\"a\": 1}, \"text\"), else as plain text.")
    List<String> vars = new ArrayList<>();

    @Override
    protected int run() throws Exception {
        ChatTemplate template;
        if (source.template != null) {
            requireFile(source.template, "template");
            if (templateName != null) {
                throw usage("--template-name needs --model");
            }
            template = ChatTemplate.of(Files.readString(source.template), bosToken, eosToken);
        } else {
            if (!Files.isDirectory(source.model)) {
                throw usage("model folder not found: " + source.model);
            }
            template = ChatTemplate.fromModelDir(source.model, templateName).orElseThrow(
                    () -> new IllegalArgumentException(source.model + " has no chat template: pass one with --template"));
        }
        Map<String, Object> extra = new HashMap<>();
        if (bosToken != null) {
            extra.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            extra.put("eos_token", eosToken);
        }
        if (tools != null) {
            JsonNode t = readJson(requireFile(tools, "tools file"));
            if (!t.isArray()) {
                throw usage(tools + ": tools must be a JSON array");
            }
            extra.put("tools", JSON.convertValue(t, List.class));
        }
        for (String v : vars) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw usage("--var takes NAME=VALUE, got '" + v + "'");
            }
            extra.put(v.substring(0, eq), varValue(v.substring(eq + 1)));
        }
        if (date != null) {
            try {
                template = template.withClock(Clock.fixed(LocalDate.parse(date).atStartOfDay().toInstant(ZoneOffset.UTC),
                        ZoneOffset.UTC));
            } catch (DateTimeParseException e) {
                throw usage("--date takes YYYY-MM-DD, got '" + date + "'");
            }
        }
        JsonNode m = readJson(requireFile(messages, "messages file"));
        if (!m.isArray() || m.isEmpty()) {
            throw usage(messages + ": the conversation must be a non-empty JSON array of message objects");
        }
        List<Map<String, Object>> conversation = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            if (!m.get(i).isObject()) {
                throw usage(messages + ": message " + i + " is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> message = JSON.convertValue(m.get(i), LinkedHashMap.class);
            conversation.add(message);
        }
        out().print(template.renderMessages(conversation, addGenerationPrompt, extra));
        out().flush();
        return Steer4jCli.EXIT_OK;
    }

    private JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            // the location only: the parser's message would quote the file's content
            throw usage(file + " is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")");
        }
    }

    private static Object varValue(String text) {
        if (text.isBlank()) {
            return text;
        }
        try {
            return JSON.readerFor(Object.class).with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readValue(text);
        } catch (JsonProcessingException e) {
            return text;
        }
    }
}
