package io.steer4j.djl.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.tokenizer.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A loaded BERT encoder (weights, WordPiece tokenizer, forward pass) that many threads can use at once: the
 * encoder counterpart of {@link LanguageModel}, with the same hook points and layer numbering.
 *
 * <p>It reads a Hugging Face folder with {@code model_type} {@code bert}: {@code BertModel} exports (a
 * sentence-transformers model such as all-MiniLM-L6-v2) and {@code BertForMaskedLM} ones (names under
 * {@code bert.}, with the masked-LM head {@code cls.predictions} and the pooler). For sentence embeddings, fill-mask
 * and steering use {@link io.steer4j.djl.steering.SteeredEncoder}; this class is the raw forward pass.
 *
 * <pre>{@code
 * try (EncoderModel bert = EncoderModel.load(Path.of("models/all-minilm-l6-v2"))) {
 *     try (NDManager m = bert.newCallManager()) {
 *         NDArray hidden = bert.forward(m, List.of(bert.tokenizer().encode("Hello")), HookSet.NONE);
 *     }
 * }
 * }</pre>
 */
public final class EncoderModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EncoderModel.class);

    private final Path folder;
    private final BertConfig config;
    private final TextTokenizer tokenizer;
    private final SentencePooling pooling;
    private final NDManager manager;
    private final BertForward forward;
    private final Device device;
    private final String modelId;
    /** Open/closed state and the engine thread every pass runs on (shared with {@link LanguageModel}). */
    private final ModelLifecycle lifecycle = new ModelLifecycle();

    private EncoderModel(Path folder, BertConfig config, TextTokenizer tokenizer, SentencePooling pooling,
                         NDManager manager, BertForward forward, Device device) {
        this.folder = folder;
        this.config = config;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.manager = manager;
        this.forward = forward;
        this.device = device;
        this.modelId = folder.getFileName().toString();
    }

    /** Whether {@code folder} holds an encoder this class loads ({@code config.json} with model_type bert). */
    public static boolean isEncoder(Path folder) {
        Path config = folder.resolve("config.json");
        return Files.isRegularFile(config) && BertConfig.isBert(config);
    }

    /** Loads a folder on the CPU. */
    public static EncoderModel load(Path folder) {
        return load(folder, Device.cpu());
    }

    /**
     * Loads a Hugging Face BERT folder ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}).
     * The sentence pooling comes from the folder's sentence-transformers files, else mean pooling without
     * normalisation (callers choose another with {@link io.steer4j.djl.steering.SteeredEncoder}).
     *
     * @throws ModelLoadException naming what is missing or inconsistent
     */
    public static EncoderModel load(Path folder, Device device) {
        Objects.requireNonNull(device, "device");
        if (!Files.isDirectory(folder)) {
            throw new ModelLoadException("model folder " + folder + " does not exist");
        }
        Path configJson = folder.resolve("config.json");
        if (!Files.isRegularFile(configJson)) {
            throw new ModelLoadException(folder + " has no config.json");
        }
        BertConfig config = BertConfig.read(configJson);
        if (device.isGpu() && Engine.getEngine("PyTorch").getGpuCount() == 0) {
            throw new ModelLoadException("GPU requested but the PyTorch engine sees none; build with -Pcuda on a "
                    + "machine with a CUDA driver (see README)");
        }
        SentencePooling pooling = SentencePooling.read(folder,
                SentencePooling.of(SentencePooling.Mode.MEAN, false));
        TextTokenizer tokenizer = TextTokenizer.load(folder);
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try (WeightStore weights = new WeightStore(folder, BertWeights.PREFIXES, Precision.FLOAT32)) {
            BertForward f = LibtorchThread.shared().call(() -> new BertForward(config,
                    BertWeights.load(config, weights, manager)));
            List<String> unused = weights.unused().stream().filter(n -> !BertWeights.isIgnorable(n)).toList();
            if (!unused.isEmpty()) {
                LOG.warn("{}: {} checkpoint tensors are not used by the BERT forward pass, e.g. {}", folder,
                        unused.size(), unused.subList(0, Math.min(3, unused.size())));
            }
            return new EncoderModel(folder, config, tokenizer, pooling, manager, f, device);
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
    }

    /** The model's shape. */
    public BertConfig config() {
        return config;
    }

    /** The WordPiece tokenizer ({@code encode} adds {@code [CLS]} and {@code [SEP]}). */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The sentence pooling the folder declares (mean without normalisation where it declares none). */
    public SentencePooling pooling() {
        return pooling;
    }

    /** Whether the checkpoint has the masked-LM head ({@code cls.predictions}), needed for fill-mask. */
    public boolean hasMaskedLmHead() {
        return forward.weights().maskedLm() != null;
    }

    /** Whether the checkpoint has the pooler ({@code pooler.dense}). */
    public boolean hasPooler() {
        return forward.weights().pooler() != null;
    }

    /** The folder the model was loaded from. */
    public Path folder() {
        return folder;
    }

    /** A short identifier (the folder name), recorded in vectors computed on this model. */
    public String modelId() {
        return modelId;
    }

    /** Where the weights live. */
    public Device device() {
        return device;
    }

    /** Number of blocks. */
    public int numLayers() {
        return config.numLayers();
    }

    /** Width of the residual stream. */
    public int hiddenSize() {
        return config.hiddenSize();
    }

    /**
     * @throws IllegalArgumentException naming the layer and the valid range when the model has no such layer
     */
    public void checkLayer(int layer) {
        LayerIndex.check(layer, config.numLayers());
    }

    /** A manager for one call's arrays; close it when the call ends. */
    public NDManager newCallManager() {
        lifecycle.ensureOpen(modelId);
        return NDManager.newBaseManager(device, "PyTorch");
    }

    /**
     * One forward pass over rows of token ids (unpadded; they are right-padded and the padding masked), token type
     * 0 everywhere.
     *
     * @return the last hidden state {@code [rows, longest, hidden]} (Hugging Face's {@code last_hidden_state});
     *         slots past a row's length are padding
     * @throws IllegalArgumentException when a hook names a missing layer, a row is empty or longer than the
     *                                  model's positions, or an id is outside the vocabulary
     */
    public NDArray forward(NDManager m, List<long[]> rows, HookSet hooks) {
        return forward(m, rows, null, hooks);
    }

    /** {@link #forward(NDManager, List, HookSet)} with token type ids per row (sentence pairs). */
    public NDArray forward(NDManager m, List<long[]> rows, List<long[]> typeIds, HookSet hooks) {
        check(rows, typeIds, hooks);
        return onEngineWhileOpen(() -> forward.forward(m, rows, typeIds, hooks, false));
    }

    /**
     * Runs the blocks up to the highest hooked layer only (no output): for hooks that read activations.
     */
    public void runToLastHook(NDManager m, List<long[]> rows, HookSet hooks) {
        check(rows, null, hooks);
        onEngineWhileOpen(() -> forward.forward(m, rows, null, hooks, true));
    }

    /**
     * Masked-LM logits {@code [..., vocab]} of hidden states {@code [..., hidden]} from {@link #forward}.
     *
     * @throws IllegalStateException when the checkpoint has no masked-LM head
     */
    public NDArray maskedLmLogits(NDArray hidden) {
        if (!hasMaskedLmHead()) {
            throw new IllegalStateException("model " + modelId + " has no masked-LM head (cls.predictions)");
        }
        return onEngineWhileOpen(() -> forward.maskedLmLogits(hidden));
    }

    /**
     * The pooler's output {@code [rows, hidden]} (tanh of a dense layer over {@code [CLS]}).
     *
     * @throws IllegalStateException when the checkpoint has no pooler
     */
    public NDArray pooler(NDArray hidden) {
        if (!hasPooler()) {
            throw new IllegalStateException("model " + modelId + " has no pooler (pooler.dense)");
        }
        return onEngineWhileOpen(() -> forward.pool(hidden));
    }

    /** Runs other libtorch work of a call on the engine thread, as {@link LanguageModel#compute} does. */
    public <T> T compute(Callable<T> work) {
        return lifecycle.compute(modelId, work);
    }

    private void check(List<long[]> rows, List<long[]> typeIds, HookSet hooks) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows to encode");
        }
        if (typeIds != null && typeIds.size() != rows.size()) {
            throw new IllegalArgumentException(rows.size() + " rows but " + typeIds.size() + " token type rows");
        }
        for (int r = 0; r < rows.size(); r++) {
            if (rows.get(r).length == 0) {
                throw new IllegalArgumentException("row " + r + " has no tokens");
            }
            if (typeIds != null && typeIds.get(r).length != rows.get(r).length) {
                throw new IllegalArgumentException("row " + r + " has " + rows.get(r).length + " tokens but "
                        + typeIds.get(r).length + " token types");
            }
        }
        if (hooks.maxLayer() >= config.numLayers()) {
            throw new IllegalArgumentException("hook at layer " + hooks.maxLayer() + " but the model has "
                    + config.numLayers() + " layers (0.." + (config.numLayers() - 1) + ")");
        }
    }

    private <T> T onEngineWhileOpen(Callable<T> step) {
        return lifecycle.pass(modelId, step);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return lifecycle.isClosed();
    }

    /** Frees the weights; waits for a forward pass in progress, and makes later calls fail. */
    @Override
    public void close() {
        lifecycle.close(modelId, () -> {
            if (manager.isOpen()) {
                manager.close();
                tokenizer.close();
            }
        });
    }
}
