package io.steer4j.cli;

import io.steer4j.djl.model.CpuEngine;
import io.steer4j.examples.TinyModel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar steer4j.jar ...} without JVM flags runs on the Java CPU engine: the tool relaunches itself in a
 * JVM with the Vector API module, passing options, output and exit code through.
 */
class VectorModuleRelaunchTest {
    @Test
    void aCommandThatLoadsAModelRelaunchesOnlyWithoutTheModuleAndOutsideTheChild() {
        String[] gen = {"generate", "--model", "m", "x"};
        assertTrue(VectorModuleRelaunch.wanted(gen, false, null, null, null));
        assertFalse(VectorModuleRelaunch.wanted(gen, true, null, null, null), "the module is already there");
        assertFalse(VectorModuleRelaunch.wanted(gen, false, "1", null, null), "the child never relaunches");
        assertFalse(VectorModuleRelaunch.wanted(gen, false, null, "libtorch", null), "libtorch was asked for");
        assertTrue(VectorModuleRelaunch.wanted(gen, false, null, "java", null));
    }

    @Test
    void anEncoderCommandRelaunchesForPassiveOpenMpWaitingUnlessAPolicyIsSet() {
        for (String command : List.of("embed", "fill-mask")) {
            String[] args = {command, "--model", "m", "x"};
            assertTrue(VectorModuleRelaunch.wanted(args, true, null, null, null), command + " with the module");
            assertTrue(VectorModuleRelaunch.wanted(args, true, null, "libtorch", null), command + " on libtorch");
            assertFalse(VectorModuleRelaunch.wanted(args, true, null, null, "ACTIVE"), "the user chose a policy");
            assertFalse(VectorModuleRelaunch.wanted(args, true, "1", null, null), "the child never relaunches");
            assertFalse(VectorModuleRelaunch.wanted(new String[] {command, "--help"}, true, null, null, null));
        }
        assertFalse(VectorModuleRelaunch.wanted(new String[] {"generate", "--model", "m", "x"}, true, null, null,
                null), "a decoder command with the module keeps libtorch's default policy in this JVM");
    }

    @Test
    void theEncoderChildWaitsPassivelyUnlessTheUserChoseAPolicyAndDecoderChildrenAreLeftAlone() {
        Map<String, String> embed = new HashMap<>();
        VectorModuleRelaunch.childEnvironment(embed, new String[] {"embed", "--model", "m", "x"});
        assertEquals("PASSIVE", embed.get(VectorModuleRelaunch.WAIT_POLICY));

        Map<String, String> chosen = new HashMap<>(Map.of(VectorModuleRelaunch.WAIT_POLICY, "active"));
        VectorModuleRelaunch.childEnvironment(chosen, new String[] {"fill-mask", "--model", "m", "x"});
        assertEquals("active", chosen.get(VectorModuleRelaunch.WAIT_POLICY));

        Map<String, String> generate = new HashMap<>();
        VectorModuleRelaunch.childEnvironment(generate, new String[] {"generate", "--model", "m", "x"});
        assertFalse(generate.containsKey(VectorModuleRelaunch.WAIT_POLICY));
    }

    @Test
    void commandsThatLoadNoModelRunInThisJvm() {
        for (String[] args : List.of(new String[] {}, new String[] {"--help"}, new String[] {"--version"},
                new String[] {"inspect", "v.safetensors"}, new String[] {"convert", "a", "b"},
                new String[] {"help", "demo"}, new String[] {"demo", "--help"})) {
            assertFalse(VectorModuleRelaunch.wanted(args, false, null, null, null), String.join(" ", args));
        }
    }

    @Test
    void theChildGetsTheParentsJvmOptionsTheModuleTheClassPathAndTheArguments() {
        List<String> c = VectorModuleRelaunch.command("/jdk/bin/java", List.of("-Xmx640m", "-Dk=v"), "a.jar",
                "io.steer4j.cli.Steer4jCli", new String[] {"demo", "--max-tokens", "5"});
        assertEquals(List.of("/jdk/bin/java", "-Xmx640m", "-Dk=v", "-XX:+UseSerialGC", "-Xmn64m",
                "-XX:MinHeapFreeRatio=10", "--add-modules",
                "jdk.incubator.vector", "-cp", "a.jar", "io.steer4j.cli.Steer4jCli", "demo", "--max-tokens", "5"), c);
    }

    @Test
    void aCollectorTheUserChoseIsKeptAndNoOtherIsAdded() {
        List<String> c = VectorModuleRelaunch.command("/jdk/bin/java", List.of("-XX:+UseG1GC", "-Xmx1g"), "a.jar",
                "io.steer4j.cli.Steer4jCli", new String[] {"demo"});
        assertEquals(List.of("/jdk/bin/java", "-XX:+UseG1GC", "-Xmx1g", "--add-modules", "jdk.incubator.vector",
                "-cp", "a.jar", "io.steer4j.cli.Steer4jCli", "demo"), c);
    }

    @Test
    void aYoungGenerationOrFreeRatioTheUserSizedIsKeptAndNotSizedAgain() {
        for (String young : List.of("-Xmn256m", "-XX:NewSize=32m", "-XX:MaxNewSize=1g", "-XX:NewRatio=3")) {
            List<String> c = VectorModuleRelaunch.command("/jdk/bin/java", List.of(young,
                    "-XX:MinHeapFreeRatio=30"), "a.jar", "io.steer4j.cli.Steer4jCli", new String[] {"demo"});
            assertEquals(List.of("/jdk/bin/java", young, "-XX:MinHeapFreeRatio=30", "-XX:+UseSerialGC",
                    "--add-modules", "jdk.incubator.vector", "-cp", "a.jar", "io.steer4j.cli.Steer4jCli", "demo"), c);
        }
    }

    @Test
    void theChildIsMarkedAndDoesNotPickUpJavaOptionsTwice() {
        Map<String, String> env = new HashMap<>(Map.of("JDK_JAVA_OPTIONS", "-Xmx1g", "JAVA_TOOL_OPTIONS", "-Da=b",
                "PATH", "/bin"));
        VectorModuleRelaunch.childEnvironment(env, new String[] {"generate", "--model", "m", "x"});
        assertEquals(Map.of(VectorModuleRelaunch.GUARD, "1", "PATH", "/bin"), env);
    }

    @Test
    void theIncubatorWarningIsDroppedAndEveryOtherByteOfStderrPassesThrough() {
        String rest = "progress 10%\rprogress 20%\rdone\nerror: x\n";
        assertEquals(rest, stderr(VectorModuleRelaunch.INCUBATOR_WARNING + "\n" + rest));
        assertEquals("another first line\n" + rest, stderr("another first line\n" + rest));
        assertEquals("no newline", stderr("no newline"));
        assertEquals("", stderr(""));
    }

    private static String stderr(String child) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        VectorModuleRelaunch.passStderr(new ByteArrayInputStream(child.getBytes(StandardCharsets.UTF_8)), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theToolStartedWithoutFlagsGeneratesOnTheJavaEngine() throws Exception {
        Path model = TinyModel.requireReal("stories260k");
        Proc p = tool("generate", "--model", model.toString(), "--max-tokens", "4", "Once upon a time");
        assertEquals(0, p.code(), p.toString());
        assertTrue(p.err().contains("one-row CPU passes run on the Java CPU engine"), p.toString());
        assertFalse(p.err().contains("incubator"), p.toString());
        assertTrue(p.out().contains("Once upon a time"), p.toString());
    }

    @Test
    void aJvmThatStillLacksTheModuleRunsOnLibtorchAndTheLoadLineNamesTheFlag() throws Exception {
        Path model = TinyModel.requireReal("stories260k");
        // marked as a relaunched child: no second relaunch, so this JVM runs without the module
        Proc p = tool(Map.of(VectorModuleRelaunch.GUARD, "1"), "generate", "--model", model.toString(),
                "--max-tokens", "2", "Once upon a time");
        assertEquals(0, p.code(), p.toString());
        assertTrue(p.err().contains("one-row CPU passes run on libtorch") && p.err().contains(CpuEngine.JVM_FLAG),
                p.toString());
    }

    @Test
    void theChildsExitCodeIsTheTools() throws Exception {
        Path model = TinyModel.requireReal("stories260k");
        Proc p = tool("generate", "--model", model.toString(), "--no-such-option", "x");
        assertEquals(Steer4jCli.EXIT_USAGE, p.code(), p.toString());
    }

    private record Proc(int code, String out, String err) {
    }

    /** Runs the tool's main class in a fresh JVM without {@value CpuEngine#JVM_FLAG}, as {@code java -jar} would. */
    private static Proc tool(String... args) throws Exception {
        return tool(Map.of(), args);
    }

    private static Proc tool(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), Steer4jCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(VectorModuleRelaunch.GUARD);
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().putAll(env);
        Path out = java.nio.file.Files.createTempFile("steer4j-relaunch", ".out");
        Path err = java.nio.file.Files.createTempFile("steer4j-relaunch", ".err");
        try {
            Process proc = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(proc.waitFor(120, TimeUnit.SECONDS), "the tool finished");
            return new Proc(proc.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
        } finally {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }
}
