package io.steer4j.cli;

import io.steer4j.djl.model.CpuEngine;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Runs the command-line tool in a second JVM started with {@value CpuEngine#JVM_FLAG} when this one lacks it, so
 * that {@code java -jar steer4j.jar ...} uses the Java CPU engine with no flags.
 *
 * <p>Why a relaunch: the Vector API is an incubator module in Java 17 to 25, and only the command line can add a
 * module to the boot layer; a jar manifest has {@code Add-Opens} and {@code Add-Exports} but no
 * {@code Add-Modules}, {@code JDK_JAVA_OPTIONS} is read by the launcher before our code runs, and a module layer
 * created at run time would load its own copy of the API, which the JIT does not compile to SIMD instructions. A
 * launcher script would work only for users who use it. The cost is one more JVM start (tens of milliseconds of
 * the parent's own start, measured in docs/platforms.md), paid only for commands that load a model.
 *
 * <p>The child is the same {@code java} with the parent's JVM options ({@code RuntimeMXBean} input arguments, so
 * {@code -Xmx} and {@code -D} settings carry over), the same class path and arguments; it inherits stdin and stdout,
 * its stderr is passed through without the JVM's "Using incubator modules" warning, and its exit code becomes the
 * parent's. The environment variable {@value #GUARD} marks the child, so a JVM that still lacks the module (a
 * runtime image without it) runs on libtorch instead of relaunching again. Nothing is relaunched when the module is
 * present, when {@code -D}{@value CpuEngine#PROPERTY}{@code =libtorch} asks for libtorch, or for commands that load
 * no model (help, version, inspect, convert).
 *
 * <p>Encoder commands ({@code embed}, {@code fill-mask}) also relaunch, module or not, when {@value #WAIT_POLICY} is
 * unset, and their child gets {@code OMP_WAIT_POLICY=PASSIVE}. They run whole batches on libtorch, whose GNU
 * OpenMP team otherwise spins at the end of each of a pass's hundreds of parallel regions: on a machine whose cores
 * are shared with other work the spinning thread keeps a core from the thread that still has work, and a batch
 * took 1.8 to 18 times as long in the runs of docs/encoders.md (Speed). Passive waiting changes only how idle OpenMP threads wait
 * (they sleep on a futex instead of spinning), never results; it costs a wake-up of some microseconds per region,
 * nothing next to an encoder's regions of milliseconds. Decoder commands keep libtorch's default: the relaunched
 * child decodes one row on the Java engine, and libtorch's small batch-1 regions measured slower with passive
 * waiting (docs/performance.md). The variable can only take effect this way: GNU OpenMP reads it once, when
 * libtorch is loaded, and a JVM cannot change its own environment. A value the user set is kept.
 */
final class VectorModuleRelaunch {
    /** Set in the child's environment: never relaunch from a relaunched JVM. */
    static final String GUARD = "STEER4J_RELAUNCHED";
    /** The line the JVM prints to stderr when an incubator module is resolved. */
    static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";
    /** The collector a relaunched command runs with when its user chose none. */
    static final String SERIAL_GC = "-XX:+UseSerialGC";
    /**
     * The young generation a relaunched command gets beside the serial collector, unless its user sized it: the
     * weights (most of the heap) live in the old generation for the whole run, and the collector's default young
     * generation (a third of the heap) is memory the process touches for nothing.
     */
    static final String YOUNG_GENERATION = "-Xmn64m";
    /**
     * Free heap kept after a full collection (default 40 %): the default grows a heap of 0.5 GB of weights by
     * 0.3 GB the first time a long prompt's short-lived buffers are promoted.
     */
    static final String MIN_FREE = "-XX:MinHeapFreeRatio=10";
    private static final Set<String> NO_MODEL = Set.of("help", "inspect", "convert");
    private static final Set<String> HELP = Set.of("-h", "--help", "-V", "--version");
    /** The environment variable GNU OpenMP (libtorch's) reads for how idle threads wait. */
    static final String WAIT_POLICY = "OMP_WAIT_POLICY";
    /** Commands that run encoder batches on libtorch, whose child gets passive OpenMP waiting. */
    static final Set<String> ENCODER_COMMANDS = Set.of("embed", "fill-mask");

    private VectorModuleRelaunch() {
    }

    /**
     * Runs the tool in a child JVM with the module when that is useful, and returns the child's exit code; empty
     * when this JVM should run the command itself (the module is here, not wanted or cannot be had).
     */
    static OptionalInt runIfUseful(String[] args) {
        if (!wanted(args, CpuEngine.javaEngineAvailable(), System.getenv(GUARD),
                System.getProperty(CpuEngine.PROPERTY), System.getenv(WAIT_POLICY))) {
            return OptionalInt.empty();
        }
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = command(java, ManagementFactory.getRuntimeMXBean().getInputArguments(),
                System.getProperty("java.class.path"), Steer4jCli.class.getName(), args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        childEnvironment(pb.environment(), args);
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) { // no usable java binary: run here, on libtorch
            return OptionalInt.empty();
        }
        Thread stop = new Thread(child::destroy, "steer4j-relaunch-stop");
        Runtime.getRuntime().addShutdownHook(stop); // a parent killed alone does not leave the child running
        Thread err = new Thread(() -> passStderr(child.getErrorStream(),
                new FileOutputStream(FileDescriptor.err)), "steer4j-relaunch-stderr");
        err.start();
        try {
            int code = child.waitFor();
            err.join();
            Runtime.getRuntime().removeShutdownHook(stop);
            return OptionalInt.of(code);
        } catch (InterruptedException e) {
            child.destroy();
            Thread.currentThread().interrupt();
            return OptionalInt.of(130);
        }
    }

    /**
     * Whether to relaunch: outside the child, for a command that may load a model, when the module is missing (and
     * libtorch was not asked for) or, for an encoder command, when {@value #WAIT_POLICY} is unset.
     */
    static boolean wanted(String[] args, boolean moduleLoaded, String guard, String engineProperty,
                          String waitPolicy) {
        if (guard != null) {
            return false;
        }
        String command = commandName(args);
        if (command == null || NO_MODEL.contains(command)) { // no command: the tool prints its usage
            return false;
        }
        boolean libtorchAsked = engineProperty != null
                && engineProperty.trim().equalsIgnoreCase(CpuEngine.LIBTORCH.name());
        boolean needsModule = !moduleLoaded && !libtorchAsked;
        boolean needsPassiveWait = ENCODER_COMMANDS.contains(command) && waitPolicy == null;
        return needsModule || needsPassiveWait;
    }

    /** The subcommand (the first argument that is not an option), or null for none or a help/version request. */
    static String commandName(String[] args) {
        String command = null;
        for (String a : args) {
            if (HELP.contains(a)) {
                return null;
            }
            if (command == null && !a.startsWith("-")) {
                command = a;
            }
        }
        return command;
    }

    /**
     * {@code java [parent's JVM options] [-XX:+UseSerialGC] --add-modules jdk.incubator.vector -cp CLASSPATH MAIN
     * ARGS}. The serial collector is added unless the options name a collector: a command-line run holds one model
     * whose weights live as long as the process, and G1's default sizing let the heap (and so the peak RSS) grow to
     * 2.2-2.4 GiB on a GPT-2-small-shaped checkpoint of 0.5 GB, against 0.91 GiB with the serial collector, with no
     * slower decoding (`PeerChild`, paired runs, docs/performance.md). With it come {@value #YOUNG_GENERATION} and
     * {@value #MIN_FREE} unless the options size those themselves: 0.76 against 0.93 GiB for a 16-token prompt and
     * 0.89 against 1.06-1.40 GiB for a 512-token one, load time unchanged (docs/performance.md). The JVM itself
     * picks this collector on small machines; {@code -XX:+UseG1GC} (or any other) given to {@code java} is kept as
     * given, with no sizing added.
     */
    static List<String> command(String java, List<String> jvmOptions, String classPath, String mainClass,
                                String[] args) {
        List<String> c = new ArrayList<>();
        c.add(java);
        c.addAll(jvmOptions);
        if (jvmOptions.stream().noneMatch(VectorModuleRelaunch::choosesCollector)) {
            c.add(SERIAL_GC);
            if (jvmOptions.stream().noneMatch(VectorModuleRelaunch::sizesYoungGeneration)) {
                c.add(YOUNG_GENERATION);
            }
            if (jvmOptions.stream().noneMatch(o -> o.startsWith("-XX:MinHeapFreeRatio="))) {
                c.add(MIN_FREE);
            }
        }
        c.add("--add-modules");
        c.add("jdk.incubator.vector");
        c.add("-cp");
        c.add(classPath);
        c.add(mainClass);
        c.addAll(List.of(args));
        return c;
    }

    /**
     * Marks the child, drops the variables whose options the input arguments already carry (the launcher and the
     * JVM would add them a second time, and print "Picked up ..." again) and, for an encoder command, sets
     * {@value #WAIT_POLICY}{@code =PASSIVE} unless the user chose a policy.
     */
    static void childEnvironment(Map<String, String> env, String[] args) {
        env.put(GUARD, "1");
        env.remove("JDK_JAVA_OPTIONS");
        env.remove("JAVA_TOOL_OPTIONS");
        if (ENCODER_COMMANDS.contains(String.valueOf(commandName(args)))) {
            env.putIfAbsent(WAIT_POLICY, "PASSIVE");
        }
    }

    /** Copies the child's stderr to {@code out}, dropping the JVM's incubator warning if it is the first line. */
    static void passStderr(InputStream in, OutputStream out) {
        try (in) {
            ByteArrayOutputStream first = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                first.write(b);
            }
            String line = first.toString(StandardCharsets.UTF_8);
            if (!line.strip().equals(INCUBATOR_WARNING)) {
                first.writeTo(out);
                if (b == '\n') {
                    out.write('\n');
                }
                out.flush();
            }
            if (b == -1) {
                return;
            }
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) != -1) { // bytes as they come: progress bars redraw with \r, not lines
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // the child's stderr closed under us: nothing left to show
        }
    }

    /** {@code -Xmn..}, {@code -XX:NewSize=..}, {@code -XX:MaxNewSize=..}, {@code -XX:NewRatio=..}: the user's own sizing. */
    static boolean sizesYoungGeneration(String jvmOption) {
        return jvmOption.startsWith("-Xmn") || jvmOption.startsWith("-XX:NewSize=")
                || jvmOption.startsWith("-XX:MaxNewSize=") || jvmOption.startsWith("-XX:NewRatio=");
    }

    /** {@code -XX:+UseG1GC}, {@code -XX:+UseParallelGC}, {@code -XX:+UseZGC}, ...: the user's own choice. */
    static boolean choosesCollector(String jvmOption) {
        return jvmOption.startsWith("-XX:+Use") && jvmOption.endsWith("GC");
    }
}
