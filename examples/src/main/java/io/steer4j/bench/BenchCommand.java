package io.steer4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.cli.BaseCommand;
import io.steer4j.cli.DeviceOption;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code steer4j bench}: generation speed unsteered vs steered, batched throughput, vector extraction speed,
 * memory, and the machine's copy bandwidth, with every configuration timed in interleaved rounds so the ratios
 * come from one run; optionally PyTorch eager from Python on the same checkpoint for comparison.
 *
 * <p>The command parses the options, loads the model once and runs the chosen sections in a fixed order, each a
 * class of its own ({@link GenerationSection}, {@link BatchSection}, {@link ThreadsSection},
 * {@link ExtractionSection}, {@link BandwidthSection}, {@link ProductsSection}, {@link PrecisionSection},
 * {@link MemorySection}, {@link SoakSection}, {@link ProfileSection}, {@link PeerSection}) that prints its figures
 * and adds them to the JSON report printed at the end.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark generation (unsteered vs steered), batching, vector computation and memory.")
public final class BenchCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, description = "model folder or Hugging Face id")
    String model;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "prompt length in tokens (default ${DEFAULT-VALUE})")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "128", description = "tokens generated per run (default ${DEFAULT-VALUE})")
    int newTokens;

    @Option(names = "--runs", defaultValue = "5", description = "rounds; figures are medians (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--batches", split = ",", defaultValue = "1,4,16", description = "batch sizes for throughput")
    int[] batches;

    @Option(names = "--threads", split = ",", defaultValue = "1,2,4,16", description = "request threads for the threads section")
    int[] threadCounts;

    @Option(names = "--pairs", defaultValue = "200", description = "pairs for the extraction benchmark (0 = skip)")
    int pairs;

    @Option(names = "--python", description = "python with torch, to time PyTorch eager on the same checkpoint (e.g. /usr/bin/python3)")
    String python;

    @Option(names = "--python-script", defaultValue = "src-test-fixtures/python/bench_gpt2_eager.py",
            description = "the eager benchmark script (default ${DEFAULT-VALUE})")
    Path pythonScript;

    @Option(names = "--soak", defaultValue = "0", description = "generations for the memory soak (0 = skip)")
    int soak;

    @Option(names = "--sections", split = ",", defaultValue = "generation,batch,threads,extraction,bandwidth,precision,memory",
            description = "Comma-separated sections to run: generation (batch-1 speed, steered and not), batch "
                    + "(a vector per row), threads (concurrent callers, continuous batching), extraction (vector "
                    + "from pairs), bandwidth (memory read probe), precision (float16 vs float32), memory (RSS, "
                    + "soak), peer (llama.cpp through node-llama-cpp on the same weights), products (weight "
                    + "products through libtorch), none (only --profile). Default: ${DEFAULT-VALUE}.")
    List<String> sections;

    @Option(names = "--peer", paramLabel = "DIR",
            description = "folder where node-llama-cpp is installed (npm), for the peer section; default $STEER4J_PEER")
    Path peer;

    @Option(names = "--peer-type", paramLabel = "TYPE",
            description = "peer section: write the GGUF's matrices as TYPE (F32, F16, BF16, Q8_0) and have steer4j load "
                    + "that same file too; default: the checkpoint's own type, steer4j loading its folder")
    io.steer4j.core.format.gguf.GgmlType peerType;

    @Option(names = "--peer-script", defaultValue = "examples/peer/llama-peer.mjs",
            description = "the node script that runs llama.cpp (default ${DEFAULT-VALUE})")
    Path peerScript;

    @Option(names = "--peer-libtorch", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "run steer4j on libtorch as a third side of the peer section (default ${DEFAULT-VALUE}; "
                    + "--no-peer-libtorch leaves it out, e.g. for large 16-bit checkpoints, which libtorch runs "
                    + "widened to float32)")
    boolean peerLibtorch;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "profile one batch-1 generation with libtorch's profiler: write its Chrome trace to FILE "
                    + "and print time per decoded token by operator")
    Path profile;

    /** The names --sections accepts ("none" runs only what --profile asks for). */
    static final List<String> SECTIONS =
            List.of("generation", "batch", "threads", "extraction", "bandwidth", "precision", "memory", "peer",
                    "products", "none");

    /** The names {@code --sections} accepts. */
    public static List<String> sectionNames() {
        return SECTIONS;
    }

    @Override
    protected int run() throws Exception {
        for (String s : sections) {
            if (!SECTIONS.contains(s)) {
                throw usage("--sections: unknown section '" + s + "'; known: " + String.join(", ", SECTIONS));
            }
        }
        BenchWorkload workload = new BenchWorkload(promptTokens, newTokens, runs);
        Map<String, Object> report = new LinkedHashMap<>();
        long rssBefore = Memory.rssBytes();
        long t0 = System.nanoTime();
        try (LanguageModel lm = LanguageModel.load(model, deviceOption.toDevice(), deviceOption.toPrecision())) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            System.out.printf("model %s: %d layers, hidden %d, vocab %d, %s on %s; load %.2f s; torch threads default%n",
                    lm.modelId(), lm.numLayers(), lm.hiddenSize(), lm.config().vocabSize(), lm.precision(),
                    lm.device(), loadS);
            long rssLoaded = Memory.rssBytes();
            System.out.printf("batch-1 CPU engine: %s%n", lm.cpuEngine() == CpuEngine.JAVA
                    ? "Java (Vector API, " + CpuEngine.threads() + " threads)"
                    : "libtorch (start java with " + CpuEngine.JVM_FLAG + " for the Java engine)");
            System.out.printf("JVM: max heap %d MiB, collector %s, transparent huge pages for the heap %s%n",
                    Runtime.getRuntime().maxMemory() >> 20, collectorNames(), jvmFlag("UseTransparentHugePages"));
            if (sections.contains("peer")) { // every side in fresh processes of its own
                Path dir = peer != null ? peer : System.getenv("STEER4J_PEER") == null ? null
                        : Path.of(System.getenv("STEER4J_PEER"));
                report.put("peer", new PeerSection(lm, dir, peerScript, workload.prompt(lm, 0), newTokens, runs)
                        .ggufType(peerType).libtorch(peerLibtorch).run());
            }
            ExtractionSection extraction = new ExtractionSection(workload, pairs);
            if (sections.contains("extraction") && pairs > 0) {
                extraction.timeFirstVector(lm); // before anything else has warmed the engine
            }
            if (sections.contains("generation")) {
                new GenerationSection(workload, python, pythonScript).run(lm, report);
            }
            if (sections.contains("batch")) {
                new BatchSection(workload, batches).run(lm, report);
            }
            if (sections.contains("threads")) {
                new ThreadsSection(workload, threadCounts).run(lm, report);
            }
            if (sections.contains("extraction") && pairs > 0) {
                extraction.run(lm, loadS, report);
            }
            if (sections.contains("bandwidth")) {
                BandwidthSection.run(lm, report);
            }
            if (sections.contains("products")) {
                report.put("products", new ProductsSection(lm, runs).run());
            }
            if (sections.contains("precision")) {
                new PrecisionSection(workload).run(lm, report);
            }
            if (sections.contains("memory")) {
                MemorySection.run(rssBefore, rssLoaded, report);
            }
            if (soak > 0) {
                new SoakSection(workload, soak).run(lm, report);
            }
            if (profile != null) {
                new ProfileSection(workload, profile).run(lm, report);
            }
        }
        System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        return 0;
    }

    /** A HotSpot flag's value ("true", "false"), or "unknown" on a JVM without the diagnostic bean. */
    static String jvmFlag(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    /** The garbage collectors of this JVM as it names them ("Copy, MarkSweepCompact" is the serial collector). */
    private static String collectorNames() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName)
                .collect(java.util.stream.Collectors.joining(", "));
    }
}
