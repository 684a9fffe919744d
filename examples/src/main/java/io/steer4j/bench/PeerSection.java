package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.djl.model.CpuEngine;
import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The peer comparison of {@code steer4j bench --sections peer}: converts the checkpoint to a float32 GGUF
 * ({@link GgufModelWriter}) and, in interleaved rounds, runs llama.cpp on it through node-llama-cpp
 * ({@code examples/peer/llama-peer.mjs}), steer4j's Java CPU engine and steer4j on libtorch, each in a fresh
 * process ({@link PeerChild} for steer4j) with the same prompt and thread count.
 *
 * <p>What makes it a fair peer: every side loads in its own fresh process, and its first generation after
 * loading is reported as such (no side is warmed up where the other is not); the node child runs with
 * {@code UV_THREADPOOL_SIZE=1} (libuv's default pool of 4 spinning workers took cores from llama.cpp's threads and
 * cost it a third of its speed on 2 cores); libtorch gets the same thread count as the others; the order of the
 * three sides rotates between rounds. Every generation of every round must give llama.cpp's greedy ids: a
 * difference is listed, with steer4j's logits for both tokens where each engine's first generation parts
 * ({@link Parting}), and fails the command (non-zero exit).
 */
final class PeerSection {
    /** Generations per process: the first after loading, then steady ones. */
    static final int GENERATIONS = 3;
    /** Steered/unsteered pairs per round, on the Java engine. */
    static final int STEERED_PAIRS = 2;

    /**
     * One generation's figures. For llama.cpp they are llama.cpp's own timing ({@code llama_perf_context}) when the
     * peer script reports it, and {@code clientDecodeTokensPerS} is the same decode timed by node's clock, which
     * includes node-llama-cpp's round trip between its threads per token (half of llama.cpp's speed on stories260k).
     */
    record Run(double promptMs, double decodeTokensPerS, long[] ids, double clientDecodeTokensPerS) {
        Run(double promptMs, double decodeTokensPerS, long[] ids) {
            this(promptMs, decodeTokensPerS, ids, decodeTokensPerS);
        }
    }

    /** What one fresh process of one side reported. */
    record Side(String name, int round, double loadMs, List<Run> runs, List<Double> steeredOverUnsteered,
                double peakRssMib) {
    }

    private final LanguageModel lm;
    private final Path peerDir;
    private final Path script;
    private final long[] prompt;
    private final int newTokens;
    private final int runs;
    private final int threads;
    private final ObjectMapper json = new ObjectMapper();
    /** The GGUF type asked for ({@code --peer-type}), which steer4j then loads from the GGUF file; null: see run. */
    private GgmlType ggufType;
    /** What the steer4j children load: the checkpoint's folder, or the GGUF file llama.cpp gets. */
    private Path steer4jModel;
    /** The program that runs {@link #script}: node; tests put a stand-in there. */
    private final List<String> launcher;
    private boolean libtorch = true;

    PeerSection(LanguageModel lm, Path peerDir, Path script, long[] prompt, int newTokens, int runs) {
        this(lm, peerDir, script, prompt, newTokens, runs, List.of("node"));
    }

    PeerSection(LanguageModel lm, Path peerDir, Path script, long[] prompt, int newTokens, int runs,
                List<String> launcher) {
        this.launcher = List.copyOf(launcher);
        this.lm = lm;
        this.peerDir = peerDir;
        this.script = script;
        this.prompt = prompt;
        this.newTokens = newTokens;
        this.runs = runs;
        this.threads = CpuEngine.threads();
    }

    /**
     * Writes the GGUF's matrices as {@code type} and has steer4j load that same file (its Java engine keeps Q8_0
     * and 16-bit matrices as the file stores them); null keeps the default: the checkpoint's own type, steer4j
     * loading the checkpoint's folder.
     */
    PeerSection ggufType(GgmlType type) {
        this.ggufType = type;
        return this;
    }

    /**
     * Whether steer4j on libtorch runs as a third side (default yes); without it, llama.cpp and the Java engine
     * only, for models whose float32 libtorch pass would take most of the run.
     */
    PeerSection libtorch(boolean run) {
        this.libtorch = run;
        return this;
    }

    /**
     * Runs the comparison and returns its figures for the JSON report (or why it was skipped).
     *
     * @throws PeerMismatchException when any generation's greedy ids differ from llama.cpp's
     */
    Map<String, Object> run() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        System.out.printf("%npeer: llama.cpp (node-llama-cpp) on the same weights, %d threads each, every side in a "
                + "fresh process per round%n", threads);
        if (peerDir == null || !Files.isDirectory(peerDir.resolve("node_modules/node-llama-cpp"))) {
            String why = "node-llama-cpp is not installed (pass --peer DIR, or set STEER4J_PEER, to a folder where "
                    + "`npm install node-llama-cpp@3.22 @node-llama-cpp/linux-x64@3.22` ran); skipped";
            System.out.println("  " + why);
            out.put("skipped", why);
            return out;
        }
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer script " + script + " not found (run bench from the repository root or pass "
                    + "--peer-script)");
        }
        if (!CpuEngine.javaEngineAvailable()) {
            System.out.println("  note: this JVM lacks " + CpuEngine.JVM_FLAG + "; the Java engine's child is "
                    + "started with it anyway");
        }
        Path dir = Files.createTempDirectory("steer4j-peer");
        Path gguf = dir.resolve("model.gguf");
        try {
            long t0 = System.nanoTime();
            GgmlType type = ggufType != null ? ggufType : storedType(lm.folder());
            long bytes = convertInChildJvm(gguf, type);
            steer4jModel = ggufType != null ? gguf : lm.folder();
            System.out.printf("  converted %s to a %s GGUF of %.1f MB in %.1f s (%s)%n", lm.folder(), type,
                    bytes / 1e6, (System.nanoTime() - t0) / 1e9, ggufType != null
                            ? "--peer-type; steer4j loads this same file" : "the checkpoint's own matrix type");
            compare(gguf, out);
        } finally {
            Files.deleteIfExists(gguf);
            Files.deleteIfExists(dir);
        }
        return out;
    }

    /** Runs {@link GgufModelWriter} in a child JVM so that its temporary arrays do not count in this one's RSS. */
    private long convertInChildJvm(Path gguf, GgmlType type) throws Exception {
        ChildProcess p = ChildProcess.run(List.of(java(), "-cp", System.getProperty("java.class.path"),
                GgufModelWriter.class.getName(), lm.folder().toString(), gguf.toString(), type.name(),
                GgufModelWriter.PLACEHOLDER_VOCABULARY), Map.of());
        if (p.exitCode() != 0 || !Files.isRegularFile(gguf)) {
            throw new IOException("GGUF conversion failed (exit " + p.exitCode() + "):\n" + p.output());
        }
        return Files.size(gguf);
    }

    /**
     * The type llama.cpp gets the matrices in: the checkpoint's own (a bfloat16 checkpoint becomes a BF16 GGUF, so
     * both sides read the same bytes per weight; widening it to F32 would make llama.cpp read twice as many).
     */
    static GgmlType storedType(Path folder) throws IOException {
        SafetensorsHeader h = SafetensorsHeader.read(folder.resolve("model.safetensors"));
        boolean bf16 = false;
        boolean f16 = false;
        for (SafetensorsTensorInfo t : h.tensors()) {
            if (t.shape().length == 2) {
                bf16 |= t.dtype() == SafetensorsDtype.BF16;
                f16 |= t.dtype() == SafetensorsDtype.F16;
            }
        }
        return bf16 ? GgmlType.BF16 : f16 ? GgmlType.F16 : GgmlType.F32;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void compare(Path gguf, Map<String, Object> out) throws Exception {
        List<Side> llama = new ArrayList<>();
        List<Side> javaEngine = new ArrayList<>();
        List<Side> torch = new ArrayList<>();
        String[] order = libtorch ? new String[] {"llama.cpp", "java", "libtorch"} : new String[] {"llama.cpp", "java"};
        for (int r = 0; r < runs; r++) {
            for (int k = 0; k < order.length; k++) {
                String side = order[(k + r) % order.length]; // rotate: no side always runs first or last
                switch (side) {
                    case "llama.cpp" -> llama.add(node(gguf, r));
                    case "java" -> javaEngine.add(steer4j(CpuEngine.JAVA, r));
                    default -> torch.add(steer4j(CpuEngine.LIBTORCH, r));
                }
            }
        }
        long[] reference = llama.get(0).runs().get(0).ids();
        List<Side> all = new ArrayList<>(llama);
        all.addAll(javaEngine);
        all.addAll(torch);
        List<String> mismatches = idMismatches(reference, all);

        System.out.printf("  batch 1, %d-token prompt + %d new tokens, greedy, median of %d interleaved rounds%n",
                prompt.length, newTokens, runs);
        System.out.printf("  %-44s %12s %14s %7s %15s %7s%n", "figure", "llama.cpp", "steer4j java", "ratio",
                "steer4j libtorch", "ratio");
        double[] load = row("load, fresh process (ms; ratio: llama / steer4j)", llama, javaEngine, torch,
                Side::loadMs, true);
        double[] first = row("first generation after load, decode (tok/s)", llama, javaEngine, torch,
                s -> s.runs().get(0).decodeTokensPerS(), false);
        double[] decode = row("decode, steady (tok/s)", llama, javaEngine, torch, s -> steady(s, Run::decodeTokensPerS),
                false);
        double[] pp = row("prompt processing, steady (tok/s)", llama, javaEngine, torch,
                s -> prompt.length / steady(s, Run::promptMs) * 1000, false);
        double nodeClock = Medians.median(llama.stream().mapToDouble(
                s -> steady(s, Run::clientDecodeTokensPerS)).toArray());
        System.out.printf("  %-44s %12.1f   (llama.cpp's own timing above: %.1f, %.2fx node's clock)%n",
                "llama.cpp decode, steady, by node's clock", nodeClock, decode[0], decode[0] / nodeClock);
        double[] rss = row("peak RSS (MiB; ratio: steer4j / llama)", llama, javaEngine, torch, Side::peakRssMib,
                false);
        List<Double> pairs = javaEngine.stream().flatMap(s -> s.steeredOverUnsteered().stream()).toList();
        double steering = Medians.median(pairs);
        System.out.printf("  %-44s %12s %14.3f   (median of %d back-to-back pairs on the Java engine; node-llama-cpp "
                + "has no control-vector API)%n", "decode, control vector on " + (lm.numLayers() - 1) + " layers, "
                + "steered / unsteered", "-", steering, pairs.size());
        System.out.printf("  same greedy ids as llama.cpp in every generation of every round: %s%n",
                mismatches.isEmpty() ? "yes" : "NO");
        System.out.printf("  runs, steady decode tok/s: llama.cpp %s; steer4j java %s; libtorch %s%n",
                fmt(llama), fmt(javaEngine), fmt(torch));
        out.put("threads", threads);
        out.put("llama_load_ms", load[0]);
        out.put("java_load_ms", load[1]);
        if (libtorch) {
            out.put("libtorch_load_ms", load[2]);
        }
        out.put("llama_first_generation_decode_tokens_per_s", first[0]);
        out.put("java_first_generation_decode_tokens_per_s", first[1]);
        if (libtorch) {
            out.put("libtorch_first_generation_decode_tokens_per_s", first[2]);
        }
        out.put("llama_decode_tokens_per_s", decode[0]);
        out.put("java_decode_tokens_per_s", decode[1]);
        if (libtorch) {
            out.put("libtorch_decode_tokens_per_s", decode[2]);
        }
        out.put("llama_decode_tokens_per_s_node_clock", nodeClock);
        out.put("llama_prompt_tokens_per_s", pp[0]);
        out.put("java_prompt_tokens_per_s", pp[1]);
        if (libtorch) {
            out.put("libtorch_prompt_tokens_per_s", pp[2]);
        }
        out.put("llama_peak_rss_mib", rss[0]);
        out.put("java_peak_rss_mib", rss[1]);
        if (libtorch) {
            out.put("libtorch_peak_rss_mib", rss[2]);
        }
        out.put("java_steered_over_unsteered", steering);
        out.put("java_steering_pairs", pairs.size());
        out.put("id_mismatches", mismatches);
        if (!mismatches.isEmpty()) {
            mismatches.forEach(m -> System.out.println("  ids differ: " + m));
            List<String> partings = new ArrayList<>();
            List<Side> firsts = new ArrayList<>(List.of(javaEngine.get(0)));
            if (libtorch) {
                firsts.add(torch.get(0));
            }
            for (Side s : firsts) {
                Parting p = parting(lm, prompt, s.runs().get(0).ids(), reference);
                if (p != null) {
                    String line = s.name() + ", first generation: " + p;
                    System.out.println("  " + line);
                    partings.add(line);
                }
            }
            out.put("partings", partings);
            throw new PeerMismatchException(mismatches);
        }
    }

    /**
     * Where a steer4j generation first parts from llama.cpp's, and steer4j's logits there (the model of this
     * process, after the prompt and steer4j's own tokens before that position) for its token and for llama.cpp's:
     * a small gap says the two picked between nearly tied tokens, as rounding differences make them do.
     */
    record Parting(int position, long steer4jId, long llamaId, float steer4jLogit, float llamaLogit) {
        /** steer4j's logit for its own token minus its logit for llama.cpp's. */
        double gap() {
            return steer4jLogit - llamaLogit;
        }

        @Override
        public String toString() {
            return String.format("parts at generated token %d (steer4j %d, llama.cpp %d); steer4j's logits there: "
                    + "%.4f for its token, %.4f for llama.cpp's (gap %.4f)", position, steer4jId, llamaId,
                    steer4jLogit, llamaLogit, gap());
        }
    }

    /** The first position where {@code ours} and {@code theirs} differ, with steer4j's logits there; null if none. */
    static Parting parting(LanguageModel lm, long[] prompt, long[] ours, long[] theirs) {
        int i = Arrays.mismatch(ours, theirs);
        if (i < 0 || i >= ours.length || i >= theirs.length) {
            return null;
        }
        long[] context = Arrays.copyOf(prompt, prompt.length + i);
        System.arraycopy(ours, 0, context, prompt.length, i);
        float[] logits;
        try (ai.djl.ndarray.NDManager nd = lm.newCallManager()) {
            logits = lm.compute(() -> lm.forward(io.steer4j.djl.model.ForwardInput.leftPadded(nd, List.of(context),
                    0, new int[] {context.length}), null, io.steer4j.djl.hooks.HookSet.NONE,
                    io.steer4j.djl.model.LogitsMode.LAST).toFloatArray());
        }
        return new Parting(i, ours[i], theirs[i], logits[(int) ours[i]], logits[(int) theirs[i]]);
    }

    /** Median over rounds of the median of a side's steady generations (all but the first after loading). */
    private static double steady(Side s, java.util.function.ToDoubleFunction<Run> f) {
        return Medians.median(s.runs().subList(1, s.runs().size()).stream().mapToDouble(f).toArray());
    }

    private static double[] row(String name, List<Side> llama, List<Side> javaEngine, List<Side> torch,
                                java.util.function.ToDoubleFunction<Side> f, boolean inverse) {
        double l = Medians.median(llama.stream().mapToDouble(f).toArray());
        double j = Medians.median(javaEngine.stream().mapToDouble(f).toArray());
        double t = torch.isEmpty() ? Double.NaN : Medians.median(torch.stream().mapToDouble(f).toArray());
        System.out.printf("  %-44s %12.1f %14.1f %7.3f %15.1f %7.3f%n", name, l, j, inverse ? l / j : j / l, t,
                inverse ? l / t : t / l);
        return new double[] {l, j, t};
    }

    /**
     * Every generation whose ids differ from {@code reference} (llama.cpp's first generation), named by side,
     * round and generation, with the first differing position.
     */
    static List<String> idMismatches(long[] reference, List<Side> sides) {
        List<String> out = new ArrayList<>();
        for (Side s : sides) {
            for (int g = 0; g < s.runs().size(); g++) {
                long[] ids = s.runs().get(g).ids();
                if (Arrays.equals(reference, ids)) {
                    continue;
                }
                int i = Arrays.mismatch(reference, ids);
                out.add(String.format("%s, round %d, generation %d: position %d is %s (llama.cpp: %s)", s.name(),
                        s.round(), g, i, i < ids.length ? ids[i] : "missing",
                        i < reference.length ? reference[i] : "missing"));
            }
        }
        return out;
    }

    /** The node child's environment: one libuv worker, so that no idle pool spins beside llama.cpp's threads. */
    static Map<String, String> nodeEnvironment() {
        return Map.of("UV_THREADPOOL_SIZE", "1");
    }

    /**
     * A fresh steer4j JVM for one side: the parent's heap limit, {@code threads} threads on both engines (the Java
     * engine's team and libtorch's intra-op pool), the Vector API module for the Java engine only.
     */
    static List<String> steer4jCommand(String java, long maxHeapBytes, int threads, CpuEngine engine,
                                       String classPath, List<String> childArgs) {
        return steer4jCommand(java, maxHeapBytes, threads, engine, classPath, childArgs,
                ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /**
     * As above, with the collector and heap sizing this bench's JVM was given (the CLI's relaunch gives the serial
     * collector, a small young generation and a low free ratio) passed on to both children, so each side runs under
     * the JVM settings a user's plain command gets.
     */
    static List<String> steer4jCommand(String java, long maxHeapBytes, int threads, CpuEngine engine,
                                       String classPath, List<String> childArgs, List<String> parentJvmOptions) {
        List<String> c = new ArrayList<>(List.of(java, "-Xmx" + (maxHeapBytes >> 20) + "m"));
        parentJvmOptions.stream().filter(o -> (o.startsWith("-XX:+Use") && o.endsWith("GC"))
                || o.startsWith("-Xmn") || o.startsWith("-XX:NewSize=") || o.startsWith("-XX:MaxNewSize=")
                || o.startsWith("-XX:NewRatio=") || o.startsWith("-XX:MinHeapFreeRatio=")
                || o.startsWith("-XX:MaxHeapFreeRatio=")).forEach(c::add);
        if (engine == CpuEngine.JAVA) {
            c.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        c.addAll(List.of("-D" + CpuEngine.THREADS_PROPERTY + "=" + threads, "-Dai.djl.pytorch.num_threads=" + threads,
                "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath,
                PeerChild.class.getName()));
        c.addAll(childArgs);
        return c;
    }

    private String promptIds() {
        return Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(","));
    }

    private Side steer4j(CpuEngine engine, int round) throws Exception {
        int pairs = engine == CpuEngine.JAVA ? STEERED_PAIRS : 0;
        List<String> cmd = steer4jCommand(java(), Runtime.getRuntime().maxMemory(), threads, engine,
                System.getProperty("java.class.path"), List.of(steer4jModel.toString(), engine.name(), promptIds(),
                        String.valueOf(newTokens), String.valueOf(GENERATIONS), String.valueOf(pairs)));
        ChildProcess p = ChildProcess.run(cmd, Map.of("OMP_NUM_THREADS", String.valueOf(threads)));
        String name = engine == CpuEngine.JAVA ? "steer4j java" : "steer4j libtorch";
        List<JsonNode> lines = lines(p, name, GENERATIONS + pairs + 2);
        if (!lines.get(0).get("engine").asText().equals(engine.name())) {
            throw new IOException(name + " child ran on " + lines.get(0).get("engine").asText());
        }
        List<Double> ratios = new ArrayList<>();
        for (int k = 0; k < pairs; k++) {
            ratios.add(lines.get(1 + GENERATIONS + k).get("steered_over_unsteered").asDouble());
        }
        return side(name, round, lines, ratios);
    }

    private Side node(Path gguf, int round) throws Exception {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(script.toString(), peerDir.toString(), gguf.toString(), promptIds(),
                String.valueOf(newTokens), String.valueOf(threads), String.valueOf(GENERATIONS)));
        ChildProcess p = ChildProcess.run(cmd, nodeEnvironment());
        return side("llama.cpp", round, lines(p, "llama.cpp peer", GENERATIONS + 2), List.of());
    }

    private List<JsonNode> lines(ChildProcess p, String name, int expected) throws IOException {
        if (p.exitCode() != 0 || p.jsonLines().size() != expected) {
            throw new IOException(name + " failed (exit " + p.exitCode() + "):\n" + p.output());
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : p.jsonLines()) {
            lines.add(json.readTree(line));
        }
        return lines;
    }

    private static Side side(String name, int round, List<JsonNode> lines, List<Double> ratios) {
        List<Run> gens = new ArrayList<>();
        for (int g = 0; g < GENERATIONS; g++) {
            gens.add(fromJson(lines.get(1 + g)));
        }
        return new Side(name, round, lines.get(0).get("load_ms").asDouble(), gens, ratios,
                lines.get(lines.size() - 1).get("peak_rss_mib").asDouble());
    }

    static Run fromJson(JsonNode n) {
        long[] ids = new long[n.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = n.get("ids").get(i).asLong();
        }
        double client = n.get("decode_tokens_per_s").asDouble();
        JsonNode own = n.get("own_decode_tokens_per_s");
        if (own != null && own.isNumber() && n.path("own_prompt_ms").isNumber()) {
            return new Run(n.get("own_prompt_ms").asDouble(), own.asDouble(), ids, client);
        }
        return new Run(n.get("prompt_ms").asDouble(), client, ids);
    }

    private static String fmt(List<Side> sides) {
        if (sides.isEmpty()) {
            return "(not run)";
        }
        return sides.stream().map(s -> String.format("%.1f", steady(s, Run::decodeTokensPerS)))
                .collect(Collectors.joining(" ", "[", "]"));
    }
}
