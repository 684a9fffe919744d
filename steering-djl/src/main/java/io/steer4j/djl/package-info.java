/** The DJL runtime: model loading, forward pass with hook points, generation and steering. */
package io.steer4j.djl;
