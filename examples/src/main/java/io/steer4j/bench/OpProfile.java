package io.steer4j.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.steer4j.djl.model.LanguageModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * libtorch's operator profiler around some model work, and a per-operator summary of the trace it writes.
 *
 * <p>The trace is Chrome trace JSON (open it in {@code chrome://tracing} or Perfetto). The summary counts only
 * top-level operators (those not nested in another on the same thread), so each microsecond is counted once, and
 * splits matrix products by the weight they read ({@code addmm [768, 3072]}), with attention's batched products
 * (4-D operands) apart. Profiling adds a few microseconds per operator, so absolute times run a little high.
 */
final class OpProfile {
    /** One operator group: total microseconds, calls and the median call. */
    record Row(String name, double totalUs, int calls, double medianUs) {
    }

    private OpProfile() {
    }

    /** Runs {@code work} with the profiler on (on the model's engine thread, where the libtorch calls happen). */
    static void record(LanguageModel lm, Path trace, Runnable work) {
        lm.compute(() -> {
            JniUtils.startProfile(lm.device().isGpu(), true, false); // on a GPU, CUDA kernel times too
            return null;
        });
        try {
            work.run();
        } finally {
            lm.compute(() -> {
                JniUtils.stopProfile(trace.toString());
                return null;
            });
        }
    }

    /** Groups the trace's top-level operators, largest total first. */
    static List<Row> summarize(Path trace) throws IOException {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        List<JsonNode> ops = new ArrayList<>();
        for (JsonNode e : events) {
            if ("X".equals(e.path("ph").asText())) {
                ops.add(e);
            }
        }
        ops.sort(Comparator.comparing((JsonNode e) -> e.path("tid").asText())
                .thenComparingDouble(e -> e.path("ts").asDouble())
                .thenComparingDouble(e -> -e.path("dur").asDouble()));
        Map<String, Double> endByThread = new HashMap<>();
        Map<String, List<Double>> byName = new LinkedHashMap<>();
        for (JsonNode e : ops) {
            String tid = e.path("tid").asText();
            double ts = e.path("ts").asDouble();
            double dur = e.path("dur").asDouble();
            Double end = endByThread.get(tid);
            if (end != null && ts < end) {
                continue; // nested inside a top-level operator already counted
            }
            endByThread.put(tid, ts + dur);
            byName.computeIfAbsent(group(e), k -> new ArrayList<>()).add(dur);
        }
        List<Row> rows = new ArrayList<>();
        byName.forEach((name, durs) -> {
            double[] d = durs.stream().mapToDouble(Double::doubleValue).toArray();
            rows.add(new Row(name, Arrays.stream(d).sum(), d.length, Medians.median(d)));
        });
        rows.sort(Comparator.comparingDouble(Row::totalUs).reversed());
        return rows;
    }

    /** {@code aten::addmm [768, 3072]} for a product with a weight, {@code ... (attention)} for 4-D operands. */
    private static String group(JsonNode e) {
        String name = e.path("name").asText();
        JsonNode shapes = e.path("shape");
        if (!name.equals("aten::matmul") && !name.equals("aten::addmm") && !name.equals("aten::mm")) {
            return name;
        }
        if (shapes.size() > 0 && shapes.get(0).size() == 4) {
            return name + " (attention)";
        }
        // addmm(bias, input, weight, beta, alpha) and matmul(input, weight): the weight is the last 2-D operand
        JsonNode w = null;
        for (JsonNode s : shapes) {
            if (s.size() == 2) {
                w = s;
            }
        }
        return w == null ? name : name + " [" + w.get(0).asLong() + ", " + w.get(1).asLong() + "]";
    }

    /** Whether a group is a product with a weight matrix (the part bounded by memory bandwidth at batch 1). */
    static boolean isWeightProduct(String group) {
        return group.matches("aten::(matmul|addmm|mm) \\[.*");
    }
}
