/**
 * Evaluation math on plain arrays: log-softmax, continuation log-probabilities, A/B choice probability,
 * perplexity, KL divergence between next-token distributions, and cosine-similarity matrices.
 */
package io.steer4j.core.eval;
