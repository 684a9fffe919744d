package io.steer4j.cli;

import io.steer4j.core.format.safetensors.SafetensorsFormatException;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;

/**
 * {@code steer4j inspect}: prints a vector file's metadata and per-layer norms; for other safetensors files (such
 * as those {@code steer4j activations} writes) it lists metadata and tensors.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a vector file's metadata and per-layer norms.",
                "FILE is a steer4j .safetensors vector, a llama.cpp .gguf control vector, an activation-steering "
                        + ".svec, a torch.save .pt (FILE@LAYER for one bare tensor), a CAA folder, or any other "
                        + ".safetensors file (its metadata and tensor list are shown).",
                "For files from other tools, the source_* notes say where the vector came from and how its "
                        + "layers were translated to steer4j's (layer L = output of block L)."})
public final class InspectCommand extends BaseCommand {
    @Parameters(paramLabel = "FILE", description = "The file to inspect.")
    Path file;

    @picocli.CommandLine.Option(names = "--model-layers", paramLabel = "N", description = "The model's layer "
            + "count, to map layer ids counted from the end (repeng's -1, -2, ...).")
    Integer modelLayers;

    @Override
    protected int run() throws Exception {
        VectorArgument arg = VectorArgument.parse(file);
        java.util.OptionalInt count = modelLayers == null ? java.util.OptionalInt.empty()
                : java.util.OptionalInt.of(modelLayers);
        if (arg.isFolder()) {
            printVector(arg.read(count), "folder");
            return Steer4jCli.EXIT_OK;
        }
        requireFile(arg.file(), "file");
        String ext = CliSupport.extension(arg.file());
        if (List.of("svec", "pt", "pth").contains(ext)) {
            printVector(arg.read(count), ext);
            return Steer4jCli.EXIT_OK;
        }
        if (!ext.equals("safetensors") && !ext.equals("gguf")) {
            throw usage("cannot inspect '" + file + "': expected a .safetensors, .gguf, .svec or .pt file, or a "
                    + "CAA folder");
        }
        if (ext.equals("safetensors")) {
            SafetensorsHeader header;
            try {
                header = SafetensorsHeader.read(file);
            } catch (SafetensorsFormatException e) {
                throw new IllegalArgumentException(file + " is not a valid safetensors file: " + e.getMessage(), e);
            }
            boolean hasDirections = header.tensors().stream().anyMatch(t -> t.name().matches("direction\\.\\d+"));
            if (!hasDirections) {
                printTensors(header);
                return Steer4jCli.EXIT_OK;
            }
        }
        printVector(VectorFiles.read(file), ext);
        return Steer4jCli.EXIT_OK;
    }

    private void printVector(SteeringVector v, String ext) {
        PrintWriter o = out();
        VectorMetadata m = v.metadata();
        row(o, "file", file.toString());
        row(o, "format", switch (ext) {
            case "gguf" -> "llama.cpp GGUF control vector";
            case "svec" -> "IBM activation-steering .svec";
            case "pt", "pth" -> "torch.save file (" + m.notes().getOrDefault("source_layout", "?")
                    + "), read without executing it";
            case "folder" -> "CAA folder of torch.save files";
            default -> "steer4j safetensors vector";
        });
        row(o, "model", m.modelId().isEmpty() ? "(unknown)" : m.modelId());
        row(o, "hidden size", Integer.toString(m.hiddenSize()));
        row(o, "hook point", m.hookPoint());
        row(o, "layer numbering", m.layerNumbering());
        row(o, "method", orUnknown(m.method()));
        row(o, "read position", orUnknown(m.readPosition()));
        row(o, "dataset size", m.datasetSize() == 0 ? "(unknown)" : Integer.toString(m.datasetSize()));
        row(o, "created", m.createdAt() == null ? "(unknown)" : m.createdAt().toString());
        for (Map.Entry<String, String> n : m.notes().entrySet()) {
            row(o, "note " + n.getKey(), n.getValue());
        }
        row(o, "layers", v.layers().size() + " (" + v.layers().first() + ".." + v.layers().last() + ")");
        o.println();
        SortedMap<Integer, Double> norms = v.norms();
        double max = norms.values().stream().mapToDouble(Double::doubleValue).max().orElse(0);
        o.println("layer        norm");
        for (Map.Entry<Integer, Double> e : norms.entrySet()) {
            int bar = max == 0 ? 0 : (int) Math.round(30 * e.getValue() / max);
            o.printf(Locale.ROOT, "%5d  %10.4f  %s%n", e.getKey(), e.getValue(), "#".repeat(bar));
        }
        o.flush();
    }

    private void printTensors(SafetensorsHeader header) {
        PrintWriter o = out();
        row(o, "file", file.toString());
        row(o, "format", "safetensors (no direction.N tensors: not a steering vector)");
        for (Map.Entry<String, String> e : header.metadata().entrySet()) {
            String v = e.getValue();
            row(o, "meta " + e.getKey(), v.length() > 200 ? v.substring(0, 200) + "..." : v);
        }
        o.println();
        o.println("tensor                          dtype  shape");
        for (SafetensorsTensorInfo t : header.tensors()) {
            o.printf(Locale.ROOT, "%-30s  %-5s  %s%n", t.name(), t.dtype(), Arrays.toString(t.shape()));
        }
        o.flush();
    }

    private static void row(PrintWriter o, String key, String value) {
        o.printf("%-16s: %s%n", key, value);
    }

    private static String orUnknown(String s) {
        return s == null || s.isEmpty() ? "(unknown)" : s;
    }
}
