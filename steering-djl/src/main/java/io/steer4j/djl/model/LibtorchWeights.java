package io.steer4j.djl.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * libtorch's copy of a decoder's weights ({@link ModelWeights}), made at load or, for a 16-bit checkpoint whose
 * one-row passes run on the Java CPU engine, only when a pass first needs libtorch (a batch, continuous batching,
 * scoring without a cache): such a checkpoint's libtorch arrays are a float32 copy, twice the file, which a model
 * that only generates never uses. Made once, thread-safely, by the model's manager, so closing the model frees
 * them; logged once at INFO, since the process's memory grows by that copy then.
 */
final class LibtorchWeights {
    /** The model's logger, where its load line names the engine: the two lines belong together. */
    private static final Logger LOG = LoggerFactory.getLogger(LanguageModel.class);

    private final Supplier<ModelWeights> make;
    private final String modelName;
    private volatile ModelWeights weights;

    private LibtorchWeights(ModelWeights weights, Supplier<ModelWeights> make, String modelName) {
        this.weights = weights;
        this.make = make;
        this.modelName = modelName;
    }

    /** Weights made at load. */
    static LibtorchWeights loaded(ModelWeights weights) {
        return new LibtorchWeights(weights, null, null);
    }

    /**
     * Weights {@code make} creates on the first {@link #get()} (on the libtorch thread, as every pass runs).
     *
     * @param modelName the model's name, for the log line
     */
    static LibtorchWeights deferred(Supplier<ModelWeights> make, String modelName) {
        return new LibtorchWeights(null, make, modelName);
    }

    /** The weights, made now if this is the first call that needs them. */
    ModelWeights get() {
        ModelWeights w = weights;
        if (w != null) {
            return w;
        }
        synchronized (this) {
            if (weights == null) {
                long start = System.nanoTime();
                weights = make.get();
                LOG.info("{}: libtorch's float32 copy of the 16-bit weights made for the first pass the Java CPU "
                        + "engine does not run (a batch, continuous batching or scoring without a cache), in {} ms; "
                        + "the process holds both copies from now on", modelName,
                        (System.nanoTime() - start) / 1_000_000);
            }
            return weights;
        }
    }

    /** Whether the weights exist (made at load, or by a {@link #get()} since). */
    boolean made() {
        return weights != null;
    }
}
