/**
 * The steer4j vector file (safetensors with metadata) and {@link io.steer4j.core.format.vectorfile.VectorFiles},
 * which reads and writes either format by extension.
 */
package io.steer4j.core.format.vectorfile;
