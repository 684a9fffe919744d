/**
 * Experiments users run on a steering vector: {@link io.steer4j.djl.eval.SweepRunner} sweeps layers × strengths,
 * measuring the behaviour effect (continuation log-probability difference or A/B answer probability, steered
 * minus unsteered) and the side effects (perplexity of neutral texts, KL divergence of the next-token
 * distribution), and {@link io.steer4j.djl.eval.SweepResult} writes CSV, JSON and PNG plots and recommends a
 * (layer, strength).
 */
package io.steer4j.djl.eval;
