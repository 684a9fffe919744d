/**
 * The DJL runtime: model loading, forward pass with hook points, generation and steering.
 *
 * <h2>Where to start</h2>
 * The everyday flow uses these types (the README's "Using it from Java" shows it with its imports):
 * <ol>
 *   <li>load: {@link io.steer4j.djl.model.LanguageModel#load(String)}</li>
 *   <li>compute: {@link io.steer4j.core.dataset.ContrastiveDatasets#load(java.nio.file.Path)} and
 *       {@link io.steer4j.djl.steering.SteeringVectorComputer}, giving a
 *       {@link io.steer4j.core.vector.SteeringVector}</li>
 *   <li>save and load vectors: {@link io.steer4j.core.format.vectorfile.VectorFiles}</li>
 *   <li>steer: {@link io.steer4j.core.hook.SteeringPlan} with {@link io.steer4j.djl.steering.SteeredModel} and
 *       {@link io.steer4j.djl.generation.GenerationConfig}</li>
 *   <li>score: {@link io.steer4j.djl.steering.SteeredModel#continuationLogProb(String, String,
 *       io.steer4j.core.hook.SteeringPlan)}, or a whole layer &times; strength grid with
 *       {@link io.steer4j.djl.eval.SweepRunner}</li>
 * </ol>
 */
package io.steer4j.djl;
