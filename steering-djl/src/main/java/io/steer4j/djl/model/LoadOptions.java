package io.steer4j.djl.model;

import ai.djl.Device;
import io.steer4j.djl.tokenizer.SpecialTokens;

import java.util.Objects;

/**
 * How {@link LanguageModel#load(java.nio.file.Path, LoadOptions)} loads a model: device, precision of the
 * weights, special tokens of text entry points, and the engine of one-row CPU passes.
 *
 * <pre>{@code
 * LoadOptions cpuOnLibtorch = LoadOptions.builder().cpuEngine(CpuEngine.LIBTORCH).build();
 * try (LanguageModel m = LanguageModel.load(dir, cpuOnLibtorch)) { ... }
 * }</pre>
 *
 * @param device        {@code Device.cpu()} (default) or {@code Device.gpu()}
 * @param precision     the weights' precision, {@link Precision#FLOAT32} by default
 * @param specialTokens whether text entry points add the tokenizer's special tokens ({@link SpecialTokens#AS_DEFINED})
 * @param cpuEngine     which engine runs one-row CPU passes ({@link CpuEngine#AUTO}); {@link CpuEngine#PROPERTY}
 *                      overrides it
 */
public record LoadOptions(Device device, Precision precision, SpecialTokens specialTokens, CpuEngine cpuEngine) {
    /** The defaults: CPU, float32, special tokens as defined, engine chosen automatically. */
    public static final LoadOptions DEFAULTS = builder().build();

    /** @throws NullPointerException naming a missing option */
    public LoadOptions {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(specialTokens, "specialTokens");
        Objects.requireNonNull(cpuEngine, "cpuEngine");
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link LoadOptions}; every option starts at its default. */
    public static final class Builder {
        private Device device = Device.cpu();
        private Precision precision = Precision.FLOAT32;
        private SpecialTokens specialTokens = SpecialTokens.AS_DEFINED;
        private CpuEngine cpuEngine = CpuEngine.AUTO;

        private Builder() {
        }

        /** Where the weights live. */
        public Builder device(Device d) {
            this.device = d;
            return this;
        }

        /** The weights' precision. */
        public Builder precision(Precision p) {
            this.precision = p;
            return this;
        }

        /** Whether text entry points add the tokenizer's special tokens. */
        public Builder specialTokens(SpecialTokens s) {
            this.specialTokens = s;
            return this;
        }

        /** Which engine runs one-row CPU passes. */
        public Builder cpuEngine(CpuEngine e) {
            this.cpuEngine = e;
            return this;
        }

        /** The options. */
        public LoadOptions build() {
            return new LoadOptions(device, precision, specialTokens, cpuEngine);
        }
    }
}
