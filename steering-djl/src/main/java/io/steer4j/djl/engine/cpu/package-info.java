/**
 * steer4j's own CPU engine: a decoder's one-row forward pass ({@link io.steer4j.djl.engine.cpu.CpuDecoder}) as Java
 * loops over float32 activations and float32, 16-bit or Q8_0 weights ({@link io.steer4j.djl.engine.cpu.WeightMatrix}) with
 * SIMD kernels from the JDK's Vector API ({@code SimdKernels}), one spinning worker
 * team per process ({@code SpinPool}), and its own key/value store ({@link io.steer4j.djl.engine.cpu.CpuKvCache}).
 * It runs the forward description of {@link io.steer4j.djl.engine} and knows nothing of checkpoints, NDArrays or
 * the model's cache: {@code io.steer4j.djl.model} hands it weights and reads its results.
 *
 * <p>Internal to steer4j (public only for that package); needs the JVM flag
 * {@code --add-modules jdk.incubator.vector}, and nothing here is loaded without it.
 */
package io.steer4j.djl.engine.cpu;
