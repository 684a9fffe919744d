package io.steer4j.cli;

import io.steer4j.djl.model.LanguageModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/** Parsing helpers shared by the subcommands. Parse failures throw {@link IllegalArgumentException}. */
final class CliSupport {
    private CliSupport() {
    }

    /**
     * Parses a layer list: {@code all}, or comma-separated indices and inclusive ranges ({@code 3,5-7} or
     * {@code 5..7}), checked against a model with {@code numLayers} blocks. Returns ascending distinct layers.
     *
     * @param numLayers the model's layer count, or -1 to skip the upper bound check
     */
    static List<Integer> parseLayers(String spec, int numLayers) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        TreeSet<Integer> out = new TreeSet<>();
        if (s.equals("all")) {
            if (numLayers < 0) {
                throw new IllegalArgumentException("'all' needs a model to count its layers");
            }
            for (int l = 0; l < numLayers; l++) {
                out.add(l);
            }
            return new ArrayList<>(out);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty layer list");
        }
        for (String part : s.split(",")) {
            String p = part.strip();
            int dash = p.indexOf("..") >= 0 ? p.indexOf("..") : p.indexOf('-', 1);
            try {
                if (dash > 0) {
                    int sep = p.startsWith("..", dash) ? 2 : 1;
                    int a = Integer.parseInt(p.substring(0, dash).strip());
                    int b = Integer.parseInt(p.substring(dash + sep).strip());
                    if (a > b) {
                        throw new IllegalArgumentException("layer range '" + p + "' is inverted");
                    }
                    for (int l = a; l <= b; l++) {
                        out.add(checkLayer(l, numLayers));
                    }
                } else {
                    out.add(checkLayer(Integer.parseInt(p), numLayers));
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid layer list '" + spec
                        + "': use 'all', indices and ranges such as 3,5-7");
            }
        }
        return new ArrayList<>(out);
    }

    private static int checkLayer(int layer, int numLayers) {
        if (layer < 0 || (numLayers >= 0 && layer >= numLayers)) {
            throw new IllegalArgumentException("layer " + layer + " is out of range: "
                    + (numLayers >= 0 ? "the model has " + numLayers + " layers (0.." + (numLayers - 1) + ")"
                    : "layers are >= 0"));
        }
        return layer;
    }

    /** A {@code FILE[:STRENGTH]} argument. */
    record VectorSpec(Path file, double strength) {
        /** Parses {@code FILE[:STRENGTH]}; the strength defaults to {@code defaultStrength}. */
        static VectorSpec parse(String arg, double defaultStrength) {
            int colon = arg.lastIndexOf(':');
            if (colon > 0 && colon < arg.length() - 1) {
                String tail = arg.substring(colon + 1);
                if (tail.matches("[-+]?[0-9.]+([eE][-+]?[0-9]+)?|[-+]?(NaN|Infinity)")) {
                    double s;
                    try {
                        s = Double.parseDouble(tail);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("invalid strength '" + tail + "' in '" + arg + "'");
                    }
                    if (!Double.isFinite(s)) {
                        throw new IllegalArgumentException("strength must be a finite number, got '" + tail
                                + "' in '" + arg + "'");
                    }
                    return new VectorSpec(Path.of(arg.substring(0, colon)), s);
                }
                // "v.safetensors:abc": a vector file with a strength that is not a number (unless the whole
                // argument names a file, e.g. one with a colon in its name)
                String head = arg.substring(0, colon);
                if (!Files.exists(Path.of(arg)) && (Files.isRegularFile(Path.of(head))
                        || head.endsWith(".safetensors") || head.endsWith(".gguf"))) {
                    throw new IllegalArgumentException("strength '" + tail + "' in '" + arg + "' is not a number;"
                            + " write FILE:STRENGTH, e.g. " + head + ":4");
                }
            }
            return new VectorSpec(Path.of(arg), defaultStrength);
        }
    }

    /** The lower-case extension of a file name, without the dot ("" when none). */
    static String extension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** Loads a model folder or Hugging Face id. */
    static LanguageModel loadModel(String ref) {
        return LanguageModel.load(ref);
    }

    /** Loads a model folder or Hugging Face id on the device the command line asked for. */
    static LanguageModel loadModel(String ref, DeviceOption device) {
        return LanguageModel.load(ref, device.toDevice(), device.toPrecision(), device.toSpecialTokens());
    }

    /** Formats a double compactly for tables. */
    static String num(double d) {
        return String.format(Locale.ROOT, "%.4g", d);
    }
}
