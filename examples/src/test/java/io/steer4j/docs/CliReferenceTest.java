package io.steer4j.docs;

import io.steer4j.cli.Steer4jCli;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code docs/cli.md} is the help of every {@code steer4j} command, exactly as the tool prints it, so the reference
 * cannot drift from the code. After changing a command, rewrite the page with
 * {@code mvn -pl examples -am test -Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsteer4j.docs.update=true}.
 */
class CliReferenceTest {
    private static final Path PAGE = Path.of("..", "docs", "cli.md");
    private static final int WIDTH = 110;

    @Test
    void docsCliMdIsTheHelpOfEveryCommand() throws IOException {
        String expected = render();
        if (Boolean.getBoolean("steer4j.docs.update")) {
            Files.writeString(PAGE, expected, StandardCharsets.UTF_8);
        }
        String actual = Files.exists(PAGE) ? Files.readString(PAGE, StandardCharsets.UTF_8) : "";
        assertEquals(expected, actual, "docs/cli.md is out of date: rerun this test with -Dsteer4j.docs.update=true");
    }

    private static String render() {
        CommandLine root = Steer4jCli.commandLine();
        StringBuilder page = new StringBuilder();
        page.append("# steer4j command-line reference\n\n")
                .append("`java -jar examples/target/steer4j.jar COMMAND [OPTIONS]`. This page is the tool's own help, ")
                .append("generated and checked by `CliReferenceTest`.\n\n");
        page.append("```text\n").append(usage(root)).append("```\n");
        for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            page.append("\n## ").append(e.getKey()).append("\n\n```text\n").append(usage(e.getValue()))
                    .append("```\n");
        }
        return page.toString();
    }

    private static String usage(CommandLine cl) {
        cl.setUsageHelpWidth(WIDTH);
        cl.setUsageHelpAutoWidth(false);
        String text = cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        return text.lines().map(String::stripTrailing).reduce(new StringBuilder(),
                (b, l) -> b.append(l).append('\n'), StringBuilder::append).toString();
    }
}
