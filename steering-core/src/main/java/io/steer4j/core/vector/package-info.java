/**
 * Steering vectors (one direction per layer plus metadata), their arithmetic, and the methods that compute them
 * from captured activations (mean difference, PCA of differences, PCA around pair midpoints, logistic regression).
 * Plain {@code float[]} data; no native code.
 */
package io.steer4j.core.vector;
