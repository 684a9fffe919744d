package io.steer4j.core.chat;

import io.steer4j.core.dataset.PersonaGrid;
import io.steer4j.core.dataset.PlaceholderTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * repeng's dataset recipe in chat form: persona pairs × suffixes, where the persona goes into the system and/or user
 * message and each suffix (usually a truncated model output) is the start of the assistant's reply. Vectors are read
 * at the last token of that assistant turn, as repeng reads {@code [INST] Act as if you're extremely {persona}.
 * [/INST] {suffix}} at its last token; here the model's own chat template writes the format.
 *
 * <p>Order matches repeng's {@code make_dataset}: suffixes in the outer loop, persona pairs in the inner loop.
 * {@value #PERSONA} is replaced in one pass (a persona containing it is inserted literally).
 *
 * <pre>{@code
 * ChatDataset ds = new ChatPersonaDatasetBuilder()
 *     .name("empathy")
 *     .userTemplate("Act as if you're extremely {persona}.")
 *     .personaPair("empathetic", "cold")
 *     .suffixes(List.of("I", "I understand", "That sounds"))
 *     .build();                                          // 1 × 3 = 3 pairs
 * }</pre>
 */
public final class ChatPersonaDatasetBuilder {
    /** Placeholder for the persona. */
    public static final String PERSONA = "{persona}";

    private String name = "chat-persona";
    private String systemTemplate;
    private String userTemplate;
    private final PersonaGrid grid = new PersonaGrid();

    /** The dataset's name (default {@code "chat-persona"}). */
    public ChatPersonaDatasetBuilder name(String name) {
        this.name = name;
        return this;
    }

    /** A system message; may contain {@value #PERSONA}; none by default. */
    public ChatPersonaDatasetBuilder systemTemplate(String template) {
        this.systemTemplate = template;
        return this;
    }

    /** The user message; may contain {@value #PERSONA}; required. */
    public ChatPersonaDatasetBuilder userTemplate(String template) {
        this.userTemplate = template;
        return this;
    }

    /** Adds a persona pair, e.g. {@code ("empathetic", "cold")}. */
    public ChatPersonaDatasetBuilder personaPair(String positivePersona, String negativePersona) {
        grid.addPersonaPair(positivePersona, negativePersona);
        return this;
    }

    /** Adds assistant-reply beginnings; an empty suffix means the read is at the assistant prefix itself. */
    public ChatPersonaDatasetBuilder suffixes(List<String> suffixList) {
        grid.addSuffixes(suffixList);
        return this;
    }

    /**
     * Expands the recipe.
     *
     * @throws IllegalArgumentException if there is no user template, neither template holds {@value #PERSONA}, or no
     *                                  persona pair or suffix was given
     */
    public ChatDataset build() {
        if (userTemplate == null) {
            throw new IllegalArgumentException("a user template is required (e.g. \"Act as if you're extremely "
                    + PERSONA + ".\")");
        }
        boolean inSystem = systemTemplate != null && systemTemplate.contains(PERSONA);
        if (!inSystem && !userTemplate.contains(PERSONA)) {
            throw new IllegalArgumentException("the system or user template must contain " + PERSONA);
        }
        if (grid.hasNoPersonaPairs()) {
            throw new IllegalArgumentException("add at least one persona pair");
        }
        if (grid.suffixCount() == 0) {
            throw new IllegalArgumentException("add at least one suffix (\"\" reads at the assistant prefix)");
        }
        List<ChatPair> pairs = grid.expand(this::conversation, ChatPair::new);
        return new ChatDataset(name, pairs);
    }

    private List<ChatMessage> conversation(String persona, String suffix) {
        List<ChatMessage> out = new ArrayList<>(3);
        if (systemTemplate != null) {
            out.add(ChatMessage.system(new PlaceholderTemplate(systemTemplate).fill(Map.of(PERSONA, persona))));
        }
        out.add(ChatMessage.user(new PlaceholderTemplate(userTemplate).fill(Map.of(PERSONA, persona))));
        out.add(ChatMessage.assistant(suffix));
        return out;
    }
}
