package io.steer4j.core.format.gguf;

import java.util.List;
import java.util.Map;

/**
 * The parsed content of a GGUF file: metadata key/values in file order and the tensors.
 *
 * @param version  format version (2 or 3)
 * @param metadata values as {@code Long} (integers), {@code Double} (floats), {@code Boolean}, {@code String}
 *                 or {@code List} (arrays); unsigned 64-bit values above {@code Long.MAX_VALUE} wrap negative
 * @param tensors  tensors in file order
 */
record GgufFile(int version, Map<String, Object> metadata, List<GgufTensor> tensors) {
}
