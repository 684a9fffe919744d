package io.steer4j.djl.model;

import io.steer4j.djl.engine.Activation;

/** Reads a config's activation name ({@code activation_function}, {@code hidden_act}) for every engine and family. */
final class ActivationNames {
    private ActivationNames() {
    }

    /**
     * The activation {@code name} stands for.
     *
     * @throws ModelLoadException naming the value (when published configs use it) and the supported names
     */
    static Activation parse(String name) {
        return Activation.forName(name).orElseThrow(() -> new ModelLoadException("unsupported activation "
                + ConfigValueText.of(name) + "; supported: " + Activation.names()));
    }
}
