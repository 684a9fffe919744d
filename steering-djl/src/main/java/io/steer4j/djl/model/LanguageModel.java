package io.steer4j.djl.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.djl.hub.ModelResolver;
import io.steer4j.djl.tokenizer.SpecialTokens;
import io.steer4j.djl.tokenizer.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A loaded decoder-only language model (weights, tokenizer, forward pass) that many threads can use at once.
 *
 * <p>Families: GPT-2 ({@code model_type} {@code gpt2}), Llama and its same-shaped relatives ({@code llama},
 * {@code mistral}, {@code qwen2}) and GPT-NeoX / Pythia ({@code gpt_neox}); see {@link ModelConfig#SUPPORTED_TYPES}.
 * Every family runs through the same block loop, so hook points and steering mean the same thing in each.
 *
 * <p>The model holds no per-call state: hooks, KV caches and temporary arrays belong to each call, so concurrent
 * calls with different steering cannot see each other. Close it to free the weights' native memory; calls made
 * after (or running across) {@link #close()} fail with {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (LanguageModel model = LanguageModel.load(Path.of("models/gpt2"))) {
 *     long[] ids = model.tokenizer().encode("The weather today is");
 *     ...
 * }
 * }</pre>
 */
public final class LanguageModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

    private final Path folder;
    private final ModelConfig config;
    private final TextTokenizer tokenizer;
    private final NDManager manager;
    private final DecoderTransformer transformer;
    private final Device device;
    private final Precision precision;
    private final String modelId;
    private final Set<Long> eosTokenIds;
    /** Open/closed state and the engine thread every pass runs on. */
    private final ModelLifecycle lifecycle = new ModelLifecycle();
    /** The folder a GGUF file was unpacked into, deleted on close; null for a model loaded from its own folder. */
    private Path unpackedGguf;

    private LanguageModel(Path folder, ModelConfig config, TextTokenizer tokenizer, NDManager manager,
                          DecoderTransformer transformer, Device device, Precision precision, String modelId,
                          Set<Long> eosTokenIds) {
        this.folder = folder;
        this.config = config;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.transformer = transformer;
        this.device = device;
        this.precision = precision;
        this.modelId = modelId;
        this.eosTokenIds = eosTokenIds;
    }

    /** Loads a model folder on the CPU. */
    public static LanguageModel load(Path folder) {
        return load(folder, Device.cpu());
    }

    /**
     * Loads a model by folder path or Hugging Face id ({@code gpt2}, {@code openai-community/gpt2}), looking in
     * the Hugging Face cache and downloading when online; see {@link ModelResolver}.
     */
    public static LanguageModel load(String modelRef, Device device) {
        return load(modelRef, device, Precision.FLOAT32);
    }

    /** {@link #load(String, Device)} in the given precision ({@link Precision#FLOAT16} is meant for GPUs). */
    public static LanguageModel load(String modelRef, Device device, Precision precision) {
        return load(modelRef, device, precision, SpecialTokens.AS_DEFINED);
    }

    /**
     * {@link #load(String, Device, Precision)} choosing whether text entry points (generation, vectors, scoring,
     * sweeps) add the tokenizer's special tokens: {@link SpecialTokens#NONE} for text that already carries them.
     */
    public static LanguageModel load(String modelRef, Device device, Precision precision, SpecialTokens specialTokens) {
        return load(modelRef, LoadOptions.builder().device(device).precision(precision).specialTokens(specialTokens)
                .build());
    }

    /** {@link #load(String, Device)} with every load option, the CPU engine included. */
    public static LanguageModel load(String modelRef, LoadOptions options) {
        if (GgufModel.isGgufFile(modelRef)) {
            return load(Path.of(modelRef), options);
        }
        Path dir = ModelResolver.builder().build().resolve(modelRef);
        LanguageModel m = load(dir, options);
        boolean isPath = Files.isDirectory(Path.of(modelRef));
        return isPath ? m : m.withId(modelRef);
    }

    /** {@link #load(String, Device)} on the CPU. */
    public static LanguageModel load(String modelRef) {
        return load(modelRef, Device.cpu());
    }

    private LanguageModel withId(String id) {
        LanguageModel m = new LanguageModel(folder, config, tokenizer, manager, transformer, device, precision, id,
                eosTokenIds);
        m.unpackedGguf = unpackedGguf;
        return m;
    }

    /**
     * Loads a Hugging Face style folder ({@code config.json}, {@code model.safetensors}, tokenizer files).
     *
     * @param device {@code Device.cpu()} or {@code Device.gpu()} (a GPU needs the CUDA native library; see README)
     * @throws ModelLoadException naming what is missing or inconsistent
     */
    public static LanguageModel load(Path folder, Device device) {
        return load(folder, device, Precision.FLOAT32);
    }

    /**
     * Loads a Hugging Face style folder in the given precision.
     *
     * <p>The weights are created on the shared engine thread (libtorch work on any other thread would slow every
     * later decode step, see {@link #compute}), so calls of other models wait while a model loads; widening a
     * float16 or bfloat16 checkpoint to float32 for libtorch is part of that time. A 16-bit checkpoint whose
     * one-row passes run on the Java CPU engine ({@link CpuEngine}) is read into that engine in its 16 bits, and
     * libtorch's float32 copy is made only by the first call that needs libtorch (a batch, continuous batching,
     * scoring without a cache), from the folder again, logged at INFO: the folder must still be there then.
     *
     * @param precision {@link Precision#FLOAT32}, or {@link Precision#FLOAT16} to keep weights and matrix products
     *                  in half precision (meant for GPUs; slower than float32 on CPU)
     * @throws ModelLoadException naming what is missing or inconsistent
     */
    public static LanguageModel load(Path folder, Device device, Precision precision) {
        return load(folder, device, precision, SpecialTokens.AS_DEFINED);
    }

    /**
     * {@link #load(Path, Device, Precision)} choosing whether text entry points add the tokenizer's special
     * tokens ({@link SpecialTokens#AS_DEFINED}, the default, adds BOS for SentencePiece Llama models as Hugging
     * Face does; {@link SpecialTokens#NONE} is for text that already carries them). Token-id entry points never
     * add any.
     *
     * @throws ModelLoadException naming what is missing or inconsistent
     */
    public static LanguageModel load(Path folder, Device device, Precision precision, SpecialTokens specialTokens) {
        return load(folder, LoadOptions.builder().device(device).precision(precision).specialTokens(specialTokens)
                .build());
    }

    /**
     * Loads a Hugging Face style folder, or a llama.cpp GGUF model file ({@code gpt2} or {@code llama}
     * architecture; F32, F16, BF16 and Q8_0 tensors, dequantised to float32 at load for now; the tokenizer and chat
     * template the file carries), with every load option, the engine of one-row CPU passes included
     * ({@link CpuEngine}); logs one INFO line naming that engine (and, when the faster one is off, why).
     *
     * @throws ModelLoadException naming what is missing or inconsistent, or why {@link CpuEngine#JAVA} cannot run
     */
    public static LanguageModel load(Path folder, LoadOptions options) {
        if (Files.isRegularFile(folder)) {
            Path unpacked = GgufModel.unpack(folder);
            try {
                LanguageModel m = load(unpacked, options).withId(GgufModel.modelId(folder));
                m.unpackedGguf = unpacked;
                return m;
            } catch (RuntimeException e) {
                GgufModel.delete(unpacked);
                throw e;
            }
        }
        Device device = options.device();
        Precision precision = options.precision();
        SpecialTokens specialTokens = options.specialTokens();
        if (!Files.isDirectory(folder)) {
            throw new ModelLoadException("model folder " + folder + " does not exist");
        }
        FolderLinks.check(folder);
        Path configJson = folder.resolve("config.json");
        if (!Files.isRegularFile(configJson)) {
            throw new ModelLoadException(folder + " has no config.json");
        }
        ModelConfig config = ModelConfig.read(configJson);
        if (device.isGpu() && Engine.getEngine("PyTorch").getGpuCount() == 0) {
            throw new ModelLoadException("GPU requested but the PyTorch engine sees none; build with -Pcuda on a "
                    + "machine with a CUDA driver (see README)");
        }
        Set<Long> eos = EosTokens.read(folder);
        TextTokenizer tokenizer = TextTokenizer.load(folder, specialTokens);
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        ModelFamily family = config.family();
        try (WeightStore weights = new WeightStore(folder, family.namePrefixes(), precision)) {
            // Loading runs libtorch kernels (fusing, regrouping, narrowing to float16, rotary tables): on the
            // engine thread, or the loading thread would get an OpenMP team of its own and slow every later step.
            WeightLayout layout = family.layout(config, weights);
            Supplier<ModelWeights> reload = () -> {
                FolderLinks.check(folder); // the folder is opened again: hold it to the rule it met at load
                try (WeightStore again = new WeightStore(folder, family.namePrefixes(), precision)) {
                    return family.load(config, again, manager);
                }
            };
            BlockTransformer t = LibtorchThread.shared().call(() -> new BlockTransformer(config, family, layout,
                    weights, manager, precision, reload, folder.getFileName().toString(), options.cpuEngine()));
            LOG.info("{}: one-row CPU passes run on {}", folder.getFileName(), t.engineChoice());
            List<String> unused = weights.unused().stream().filter(n -> !family.isIgnorable(n)).toList();
            if (!unused.isEmpty()) {
                LOG.warn("{}: {} checkpoint tensors are not used by the {} forward pass, e.g. {}", folder,
                        unused.size(), config.modelType(), unused.subList(0, Math.min(3, unused.size())));
            }
            return new LanguageModel(folder, config, tokenizer, manager, t, device, precision,
                    folder.getFileName().toString(), eos);
        } catch (RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
    }

    /** The model's shape. */
    public ModelConfig config() {
        return config;
    }

    /** The model's tokenizer. */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** Where the weights live. */
    public Device device() {
        return device;
    }

    /** The precision the weights are kept in (activations seen by hooks and logits are float32 either way). */
    public Precision precision() {
        return precision;
    }

    /**
     * The folder the model was loaded from; for a GGUF file, the Hugging Face folder it was unpacked into (deleted
     * when the model closes).
     */
    public Path folder() {
        return folder;
    }

    /** A short identifier (the folder name), recorded in vectors computed on this model. */
    public String modelId() {
        return modelId;
    }

    /** Number of blocks. */
    public int numLayers() {
        return config.numLayers();
    }

    /**
     * Checks that {@code layer} exists in this model.
     *
     * @throws IllegalArgumentException naming the layer and the valid range
     */
    public void checkLayer(int layer) {
        LayerIndex.check(layer, config.numLayers());
    }

    /** Width of the residual stream. */
    public int hiddenSize() {
        return config.hiddenSize();
    }

    /**
     * The ids that end generation ({@link io.steer4j.djl.generation.GenerationConfig#stopAtEos}):
     * {@code eos_token_id} of {@code generation_config.json} when present, else of {@code config.json}, each an int
     * or a list, as Hugging Face generation reads them.
     */
    public Set<Long> eosTokenIds() {
        return eosTokenIds;
    }

    /** Id used for padding slots ({@code config.json}'s first {@code eos_token_id}, or 0). */
    public long padTokenId() {
        return Math.max(config.eosTokenId(), 0);
    }

    /**
     * A manager for one call's arrays, on the model's device; close it when the call ends.
     *
     * <p>It is deliberately not a child of the weights' manager: closing the model must not free arrays a call
     * still holds between two forward steps (its logits, say), or that call would fail with a native "released"
     * error instead of the clean "closed" error its next forward step gives.
     */
    public NDManager newCallManager() {
        lifecycle.ensureOpen(modelId);
        return NDManager.newBaseManager(device, "PyTorch");
    }

    /**
     * An empty KV cache for {@code batch} rows, owned by {@code callManager}, that allocates for the first step's
     * length and doubles when full. Use {@link #newCache(NDManager, int, int)} when the final length is known.
     */
    public KvCache newCache(NDManager callManager, int batch) {
        return newCache(callManager, batch, 1);
    }

    /**
     * An empty KV cache for {@code batch} rows with room for {@code slots} tokens per row (prompt, padding and
     * generated tokens; capped at the context) before it has to grow.
     */
    public KvCache newCache(NDManager callManager, int batch, int slots) {
        if (batch < 1) {
            throw new IllegalArgumentException("a KV cache needs at least one row, got " + batch);
        }
        return new KvCache(callManager, config.numLayers(), batch, slots, config.contextLength());
    }

    /**
     * One forward pass.
     *
     * @param in         the tokens (and the manager that owns every array of the call)
     * @param cache      a KV cache to read and extend, or null for a stateless pass
     * @param hooks      hooks to run, {@link HookSet#NONE} for the plain model
     * @param logitsMode which logits to compute
     * @return logits, or null for {@link LogitsMode#NONE}, and null for {@link LogitsMode#LAST} when the cache was
     *         asked to keep them as a Java array ({@link KvCache#preferHostLogits}) and they are there
     * @throws IllegalArgumentException when a hook names a layer the model does not have, or the sequence is
     *                                  longer than the context
     * @throws IllegalStateException    when the model is closed
     */
    public NDArray forward(ForwardInput in, KvCache cache, HookSet hooks, LogitsMode logitsMode) {
        checkHookLayers(hooks);
        if (cache != null && cache.batchSize() != in.batchSize()) {
            throw new IllegalArgumentException("cache holds " + cache.batchSize() + " rows, input has " + in.batchSize());
        }
        if (cache != null && cache.isClosed()) {
            throw new IllegalStateException("the KV cache is closed");
        }
        return onEngineWhileOpen(() -> transformer.forward(in, cache, hooks, logitsMode));
    }

    private void checkHookLayers(HookSet hooks) {
        if (hooks.maxLayer() >= config.numLayers()) {
            throw new IllegalArgumentException("hook at layer " + hooks.maxLayer() + " but the model has "
                    + config.numLayers() + " layers (0.." + (config.numLayers() - 1) + ")");
        }
    }

    /** Runs {@code step} on the engine thread while the model is open (see {@link ModelLifecycle#pass}). */
    private NDArray onEngineWhileOpen(java.util.concurrent.Callable<NDArray> step) {
        return lifecycle.pass(modelId, step);
    }

    /**
     * One decode step for rows that each carry their own single-row KV cache, as continuous batching needs: rows
     * join and leave between steps and differ in length, so they share no cache. The projections and MLPs (the
     * weight-bound part) run once for all rows; attention runs per row over its own cache.
     *
     * @param m             owns the step's arrays and the returned logits
     * @param tokens        the token each row adds
     * @param caches        one filled single-row cache per row (from a prompt pass with {@link #forward})
     * @param promptLengths each row's prompt length (for token scopes of hooks)
     * @param hooks         hooks over the {@code [rows, 1, hidden]} batch
     * @return float32 logits {@code [rows, vocab]}
     */
    public NDArray decodeRows(NDManager m, long[] tokens, List<KvCache> caches, int[] promptLengths,
                              HookSet hooks) {
        if (tokens.length == 0 || tokens.length != caches.size() || tokens.length != promptLengths.length) {
            throw new IllegalArgumentException(tokens.length + " tokens, " + caches.size() + " caches and "
                    + promptLengths.length + " prompt lengths: need one of each per row, at least one row");
        }
        checkHookLayers(hooks);
        for (int r = 0; r < tokens.length; r++) {
            KvCache c = caches.get(r);
            if (c.isClosed() || c.batchSize() != 1 || c.length() == 0) {
                throw new IllegalArgumentException("row " + r + " needs an open, filled single-row cache");
            }
            if (tokens[r] < 0 || tokens[r] >= config.vocabSize()) {
                throw new IllegalArgumentException("row " + r + " adds token id " + tokens[r]
                        + " outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        for (int r = 0; r < tokens.length; r++) {
            for (int v : caches.get(r).mask[0]) {
                if (v == 0) {
                    throw new IllegalArgumentException("row " + r + "'s cache holds padding slots; decodeRows attends "
                            + "to every cached slot, so give each row a cache filled by its own unpadded pass");
                }
            }
        }
        KvCache[] rows = caches.toArray(new KvCache[0]);
        return onEngineWhileOpen(() -> transformer.decodeRows(m, tokens, rows, promptLengths, hooks));
    }

    /**
     * Runs libtorch work on the engine thread (one per process, shared by every model) and returns its result. {@link #forward} already does;
     * wrap other tensor work of a call (logits post-processing, copying results out) so that every libtorch
     * operation of the model runs on one thread, which keeps CPU decoding fast (see the README's performance
     * notes). Calls from the engine thread itself run inline.
     */
    public <T> T compute(java.util.concurrent.Callable<T> work) {
        return lifecycle.compute(modelId, work);
    }

    /**
     * Whether the caller is the engine thread (code inside {@link #compute} or a hook), where blocking on other
     * model work would wait for itself.
     */
    public boolean isEngineThread() {
        return lifecycle.isEngineThread();
    }

    /**
     * The engine that runs one-row calls with a KV cache (prompt passes and decode steps of {@code generate}),
     * fixed when the model loaded: {@link CpuEngine#JAVA} or {@link CpuEngine#LIBTORCH}, never {@code AUTO}. Both
     * give the same logits (to float32 rounding) and run the same hooks.
     */
    public CpuEngine cpuEngine() {
        return transformer instanceof BlockTransformer b && b.javaEngine() ? CpuEngine.JAVA : CpuEngine.LIBTORCH;
    }

    /** One-row passes the Java CPU engine has run for this model (tests show with it that the engine ran). */
    long javaEnginePasses() {
        return transformer instanceof BlockTransformer b ? b.javaEnginePasses() : 0;
    }

    /**
     * Whether libtorch's copy of the weights exists (tests): always, except for a 16-bit checkpoint on the Java
     * engine before its first libtorch pass.
     */
    boolean libtorchWeightsMade() {
        return !(transformer instanceof BlockTransformer b) || b.libtorchWeightsMade();
    }

    /** The arrays the model's own manager holds (tests): weights and rotary tables, no call's arrays. */
    List<NDArray> modelArrays() {
        return manager.getManagedArrays();
    }

    /** Bytes of heap held by the Java CPU engine's copy of the weights (tests); 0 without the engine. */
    long javaEngineWeightBytes() {
        return transformer instanceof BlockTransformer b ? b.javaEngineWeightBytes() : 0;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return lifecycle.isClosed();
    }

    /**
     * Frees the weights; waits for a forward step in progress, and makes later calls fail.
     *
     * @throws IllegalStateException when called on the engine thread (from a hook or inside {@link #compute})
     *                               while a step of this model is in progress: that step holds the model open and
     *                               waits for the very thread that would wait for it, so closing there would
     *                               deadlock every model of the process; close the model after the call returns
     */
    @Override
    public void close() {
        lifecycle.close(modelId, () -> {
            if (manager.isOpen()) {
                manager.close();
                tokenizer.close();
            }
            if (unpackedGguf != null) {
                GgufModel.delete(unpackedGguf);
            }
        });
    }
}
