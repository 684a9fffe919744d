package io.steer4j.djl.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A malformed tokenizer_config.json is reported by file and position, never by quoting what it holds. */
class ChatConfigSecretsTest {
    private static final String SECRET = "hf_CANARYsecretTOKEN0123456789";

    @Test
    void aTokenizerConfigHoldingASecretIsRefusedWithoutQuotingIt(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), SECRET + "\n");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> ChatTemplate.fromModelDir(dir));
        assertTrue(e.getMessage().contains("tokenizer_config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
        assertFalse(e.getMessage().contains("CANARY"), e.getMessage());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            assertFalse(String.valueOf(c.getMessage()).contains("CANARY"), "cause quotes the file: " + c);
        }
    }

    @Test
    void aVeryLongTemplateErrorMessageIsCapped() {
        ChatTemplateException e = new ChatTemplateException("x".repeat(1_000_000));
        assertTrue(e.getMessage().length() < 4_000, "message of " + e.getMessage().length() + " characters");
    }
}
