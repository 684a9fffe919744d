package io.steer4j.docs;

import org.junit.jupiter.api.Test;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's "Using it from Java" example compiles as written, against the modules a user depends on, and runs as
 * written from the repository root on the real stories260k. The snippet's own import lines are used as they stand,
 * so moving a type only needs the README's imports updated.
 */
class ReadmeJavaSnippetTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

    @Test
    void usingItFromJavaSnippetCompiles() throws IOException {
        compileSnippet();
    }

    @Test
    void usingItFromJavaSnippetRunsAsWrittenFromTheRepositoryRootOnStories260k() throws Exception {
        io.steer4j.examples.TinyModel.requireReal("stories260k");
        Path classes = compileSnippet();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = classes + File.pathSeparator + testClassPath().stream().map(File::toString)
                .collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder(javaBin, "-cp", cp, "ReadmeSnippet").directory(Path.of("..").toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the snippet did not finish:\n" + out);
        org.junit.jupiter.api.Assertions.assertEquals(0, p.exitValue(), out);
        System.out.println("README snippet on stories260k:\n" + out);
        String plain = line(out, "plain:   ");
        String steered = line(out, "steered: ");
        assertFalse(plain.isBlank(), out);
        assertFalse(steered.isBlank(), out);
        assertFalse(plain.equals(steered), "steering at strength 2 changed nothing:\n" + out);
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in:\n" + out));
    }

    /** Compiles the snippet as the body of {@code ReadmeSnippet.main}; returns the folder of the class. */
    private static Path compileSnippet() throws IOException {
        String snippet = usingItFromJavaSnippet();
        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : snippet.split("\n")) {
            if (line.startsWith("import ")) {
                imports.add(line);
            } else {
                body.append(line).append('\n');
            }
        }
        assertFalse(imports.isEmpty(), "the README snippet should list its imports, so a reader can paste it");
        String source = String.join("\n", imports) + "\n\npublic class ReadmeSnippet {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n";

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Path out = Files.createTempDirectory("readme-snippet");
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, null)) {
            files.setLocation(StandardLocation.CLASS_PATH, testClassPath());
            files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(out));
            JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///ReadmeSnippet.java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            };
            boolean ok = javac.getTask(null, files, diagnostics, List.of("-proc:none"), null, List.of(unit)).call();
            String errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(d -> "line " + d.getLineNumber() + ": " + d.getMessage(null))
                    .collect(Collectors.joining("\n"));
            assertTrue(ok, "README.md's Java snippet does not compile:\n" + errors + "\n--- as compiled ---\n" + source);
        }
        return out;
    }

    /** The first java block after the "Using it from Java" heading. */
    private static String usingItFromJavaSnippet() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("## Using it from Java");
        assertTrue(section >= 0, "README.md has no '## Using it from Java' section");
        Matcher m = JAVA_BLOCK.matcher(readme);
        assertTrue(m.find(section), "README.md's 'Using it from Java' section has no ```java block");
        return m.group(1);
    }

    /** Surefire may hide the classpath in a manifest-only jar; it also publishes the real one. */
    private static List<File> testClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(cp.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(File::new).toList();
    }
}
