package io.steer4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.core.format.gguf.GgmlType;
import io.steer4j.core.plan.SteeringPlan;
import io.steer4j.djl.generation.GenerationConfig;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.steering.SteeredModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A standalone check (not a test: llama.cpp is not there in CI) that the GGUF files the model writer makes in each
 * type are files llama.cpp reads as steer4j does: for F32, F16, BF16 and Q8_0 it writes the model folder to GGUF,
 * generates 32 greedy tokens from the same prompt ids with llama.cpp (node-llama-cpp, {@code examples/peer}) and
 * with steer4j on that same file, and prints where the ids part, if they do. The model is a folder, or
 * {@code gpt2-tiny} for the tiny GPT-2 fixture; exit status 1 when any type's ids part.
 *
 * <pre>
 * mkdir /tmp/peer &amp;&amp; (cd /tmp/peer &amp;&amp; npm install node-llama-cpp@3.22 @node-llama-cpp/linux-x64@3.22)
 * mvn -B -ntp -o -q -pl examples -am test-compile
 * mvn -B -ntp -o -q -pl examples exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.steer4j.bench.GgufPeerCheck -Dexec.args="/tmp/peer ../shared/models/stories260k"
 * </pre>
 */
public final class GgufPeerCheck {
    private GgufPeerCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path peer = Path.of(args[0]);
        // "gpt2-tiny": the tiny GPT-2 fixture, written to a temporary folder
        Path folder = args[1].equals("gpt2-tiny") ? io.steer4j.examples.TinyModel.dir() : Path.of(args[1]);
        String prompt = args.length > 2 ? args[2] : "Once upon a time, there was a little";
        Path script = Path.of(args.length > 3 ? args[3] : "peer/llama-peer.mjs");
        Path dir = Files.createTempDirectory("gguf-peer");
        boolean allEqual = true;
        for (GgmlType t : GgmlType.values()) {
            Path gguf = dir.resolve(folder.getFileName() + "-" + t + ".gguf");
            GgufModelWriter.convert(folder, gguf, t);
            long[] promptIds;
            long[] ours;
            long[] theirs;
            int part = -1;
            String gap = "";
            try (LanguageModel m = LanguageModel.load(gguf)) {
                promptIds = m.tokenizer().encode(prompt);
                ours = SteeredModel.of(m, SteeringPlan.NONE).generateIds(promptIds,
                        GenerationConfig.builder().maxNewTokens(32).greedy().stopAtEos(false).build(),
                        SteeringPlan.NONE, io.steer4j.djl.generation.TokenListener.NONE,
                        io.steer4j.djl.generation.CancellationToken.NEVER).tokens();
                theirs = llama(peer, script, gguf, promptIds, ours.length);
                for (int i = 0; i < Math.min(ours.length, theirs.length) && part < 0; i++) {
                    if (ours[i] != theirs[i]) {
                        part = i;
                    }
                }
                if (part >= 0) {
                    float[] l = lastLogits(m, concat(promptIds, Arrays.copyOf(ours, part)));
                    gap = String.format("; steer4j's logits there: %.4f for its token, %.4f for llama.cpp's (gap %.4f)",
                            l[(int) ours[part]], l[(int) theirs[part]], l[(int) ours[part]] - l[(int) theirs[part]]);
                }
            }
            allEqual &= part < 0 && ours.length == theirs.length;
            System.out.printf("%-5s %8d bytes  greedy ids vs llama.cpp: %s%n", t, Files.size(gguf),
                    part < 0 ? "equal for all " + ours.length : "part at token " + part + " (steer4j "
                            + Arrays.toString(Arrays.copyOfRange(ours, part, Math.min(ours.length, part + 4)))
                            + ", llama.cpp " + Arrays.toString(Arrays.copyOfRange(theirs, part,
                            Math.min(theirs.length, part + 4))) + ")" + gap);
            Files.delete(gguf);
        }
        Files.delete(dir);
        System.exit(allEqual ? 0 : 1);
    }

    private static float[] lastLogits(LanguageModel m, long[] ids) {
        try (ai.djl.ndarray.NDManager nd = m.newCallManager()) {
            return m.compute(() -> m.forward(io.steer4j.djl.model.ForwardInput.leftPadded(nd, List.of(ids), 0,
                    new int[] {ids.length}), null, io.steer4j.djl.hooks.HookSet.NONE,
                    io.steer4j.djl.model.LogitsMode.LAST).toFloatArray());
        }
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static long[] llama(Path peer, Path script, Path gguf, long[] prompt, int n) throws IOException,
            InterruptedException {
        StringBuilder ids = new StringBuilder();
        for (long id : prompt) {
            ids.append(ids.length() == 0 ? "" : ",").append(id);
        }
        Process p = new ProcessBuilder(List.of("node", script.toString(), peer.toString(), gguf.toString(),
                ids.toString(), String.valueOf(n), "2", "1")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("llama.cpp failed on " + gguf.getFileName() + ":\n" + out);
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("{\"generation\"")) {
                JsonNode j = new ObjectMapper().readTree(line);
                List<Long> l = new ArrayList<>();
                j.get("ids").forEach(x -> l.add(x.asLong()));
                return l.stream().mapToLong(Long::longValue).toArray();
            }
        }
        throw new IOException("no generation from llama.cpp:\n" + out);
    }
}
