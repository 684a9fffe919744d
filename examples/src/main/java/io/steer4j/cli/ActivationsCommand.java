package io.steer4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.core.format.safetensors.SafetensorsWriter;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.model.ForwardInput;
import io.steer4j.djl.model.LanguageModel;
import io.steer4j.djl.model.LogitsMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code steer4j activations}: runs one text through the model and writes every layer's activations at a hook
 * point, plus the last position's logits, to a safetensors file (for comparison with other implementations or
 * analysis in Python).
 */
@Command(name = "activations", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Save a text's activations at every layer, and its last logits, to safetensors.",
                "Runs TEXT through the model and writes:",
                "  <hook>.<layer>  F32 [tokens, hidden] for every layer (hook resid_post by default),",
                "  logits          F32 [vocab] at the last position.",
                "Metadata: model_id, text, token_ids (JSON array), hook_point, num_layers, hidden_size."},
        footer = {"", "Example:",
                "  steer4j activations --model gpt2 --text \"Hello world\" --out acts.safetensors",
                "  python -c \"from safetensors.numpy import load_file as f;",
                "      print(f('acts.safetensors')['resid_post.5'].shape)\""})
public final class ActivationsCommand extends BaseCommand {
    @picocli.CommandLine.Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Option(names = "--model", required = true, paramLabel = "DIR|ID",
            description = "Model folder or Hugging Face id, e.g. gpt2.")
    String model;

    @Option(names = "--text", required = true, paramLabel = "TEXT", description = "The input text.")
    String text;

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors", description = "Output file.")
    Path out;

    @Option(names = "--hook-point", paramLabel = "POINT", defaultValue = "resid_post",
            description = "resid_post, resid_pre, attn_out or mlp_out (default: ${DEFAULT-VALUE}).")
    String hookPoint;

    @Override
    protected int run() throws Exception {
        if (!CliSupport.extension(out).equals("safetensors")) {
            throw usage("--out must end in .safetensors, got " + out);
        }
        requireWritableFile(out, "--out");
        HookPoint point;
        try {
            point = HookPoint.parse(hookPoint);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try (LanguageModel lm = CliSupport.loadModel(model, deviceOption)) {
            long[] ids = lm.tokenizer().encode(text);
            if (ids.length == 0) {
                throw usage("--text encodes to no tokens");
            }
            if (ids.length > lm.config().contextLength()) {
                throw usage("--text has " + ids.length + " tokens but the model's context is "
                        + lm.config().contextLength());
            }
            int layers = lm.numLayers();
            int hidden = lm.hiddenSize();
            float[][] captured = new float[layers][];
            HookSet.Builder hooks = HookSet.builder();
            for (int l = 0; l < layers; l++) {
                hooks.add(point, l, (site, x) -> {
                    captured[site.layer()] = x.toFloatArray();   // [1, tokens, hidden], copied out of native memory
                    return x;
                });
            }
            float[] logits;
            try (NDManager m = lm.newCallManager()) {
                ForwardInput in = ForwardInput.leftPadded(m, List.of(ids), lm.padTokenId(), new int[] {ids.length});
                NDArray result = lm.forward(in, null, hooks.build(), LogitsMode.LAST);
                logits = result.toFloatArray();
            }
            SafetensorsWriter w = new SafetensorsWriter()
                    .metadata("format", "pt")
                    .metadata("model_id", lm.modelId())
                    .metadata("text", text)
                    .metadata("token_ids", Arrays.stream(ids).mapToObj(Long::toString)
                            .collect(Collectors.joining(",", "[", "]")))
                    .metadata("hook_point", point.id())
                    .metadata("layer_numbering", "steer4j: layer L = output of 0-based block L")
                    .metadata("num_layers", Integer.toString(layers))
                    .metadata("hidden_size", Integer.toString(hidden))
                    .metadata("logits_position", "last");
            for (int l = 0; l < layers; l++) {
                if (captured[l] == null) {
                    throw new IllegalStateException("no activation was captured at " + point.id() + " layer " + l);
                }
                w.addF32(point.id() + "." + l, new long[] {ids.length, hidden}, captured[l]);
            }
            w.addF32("logits", new long[] {logits.length}, logits);
            w.writeAtomically(out);
            out().printf("wrote %s: %s.0..%d [%d tokens, %d hidden], logits [%d]%n", out, point.id(), layers - 1,
                    ids.length, hidden, logits.length);
            return Steer4jCli.EXIT_OK;
        }
    }
}
