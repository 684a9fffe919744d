package io.steer4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * The {@code steer4j} command-line tool: generate with steering vectors, compute and inspect vectors, convert
 * between steer4j safetensors and llama.cpp GGUF, dump activations, and run the sentiment demo.
 *
 * <p>Exit codes: {@value #EXIT_OK} success, {@value #EXIT_FAILURE} runtime failure (unreadable file, model that
 * will not load, ...), {@value #EXIT_USAGE} bad usage (unknown option, missing input file, layer out of range).
 * Errors print one line to stderr; {@code --verbose} adds the stack trace.
 *
 * <p>To add a subcommand, write a class extending {@link BaseCommand} annotated with {@code @Command} and list it
 * in {@code subcommands} below.
 *
 * <pre>
 * java -jar steer4j.jar demo
 * java -jar steer4j.jar compute --model gpt2 --dataset happy.json --layers 4-8 --out happy.safetensors
 * java -jar steer4j.jar generate --model gpt2 --vector happy.safetensors:4 --compare "I think that"
 * </pre>
 */
@Command(name = "steer4j",
        mixinStandardHelpOptions = true,
        version = "steer4j 0.1.0-SNAPSHOT",
        description = "Activation steering for language models on the JVM (DJL, PyTorch engine).",
        footer = {"", "Exit codes: 0 ok, 1 runtime failure, 2 bad usage.",
                "Run 'steer4j COMMAND --help' for the options of a command."},
        subcommands = {
                DemoCommand.class,
                GenerateCommand.class,
                ComputeCommand.class,
                InspectCommand.class,
                ConvertCommand.class,
                ActivationsCommand.class,
                SweepCommand.class,
                ChatTemplateCommand.class,
                EmbedCommand.class,
                FillMaskCommand.class,
                ServeCommand.class,
                io.steer4j.bench.BenchCommand.class,
                io.steer4j.bench.ServeBenchCommand.class,
                io.steer4j.bench.PromptBenchCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Steer4jCli implements Callable<Integer> {
    /** Success. */
    public static final int EXIT_OK = 0;
    /** The command ran and failed (I/O error, model that will not load, corrupt file, ...). */
    public static final int EXIT_FAILURE = 1;
    /** The command line was wrong (unknown option, missing file, value out of range). */
    public static final int EXIT_USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        err.println("steer4j: missing command");
        spec.commandLine().usage(err);
        return EXIT_USAGE;
    }

    /**
     * A command line with steer4j's error handling: usage errors print one line plus a hint and return
     * {@value #EXIT_USAGE}. Use this rather than {@code new CommandLine(new Steer4jCli())} to get the short
     * messages (the plain form also works, printing picocli's full usage on usage errors).
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Steer4jCli());
        cl.setParameterExceptionHandler(Steer4jCli::handleParameterException);
        return cl;
    }

    private static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
        if (Arrays.asList(args).contains("--verbose")) {
            ex.printStackTrace(err);
        }
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return EXIT_USAGE;
    }

    /** Runs the tool and exits with its exit code. */
    public static void main(String[] args) {
        // The Java CPU engine needs a JVM flag that a jar cannot carry: run in a JVM that has it (see the class)
        java.util.OptionalInt relaunched = VectorModuleRelaunch.runIfUseful(args);
        if (relaunched.isPresent()) {
            System.exit(relaunched.getAsInt());
        }
        // No telemetry or engine downloads: the PyTorch native library ships in the jar.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                    Arrays.asList(args).contains("--verbose") ? "debug" : "warn");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils") == null) {
            // DJL warns on every start of a machine without a CUDA driver; that is the normal CPU case
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        }
        if (System.getProperty("org.slf4j.simpleLogger.log.io.steer4j.djl.model.LanguageModel") == null) {
            // its one line at load says which engine runs the model (and which flag would make it faster)
            System.setProperty("org.slf4j.simpleLogger.log.io.steer4j.djl.model.LanguageModel",
                    Arrays.asList(args).contains("--verbose") ? "debug" : "info");
        }
        System.exit(commandLine().execute(args));
    }
}
