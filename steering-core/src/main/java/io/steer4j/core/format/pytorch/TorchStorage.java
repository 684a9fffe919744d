package io.steer4j.core.format.pytorch;

import java.nio.ByteBuffer;

/**
 * One storage of a {@code torch.save} archive: the raw little-endian bytes of entry {@code data/KEY}, whose length
 * has been checked against the element count the pickle's persistent id claims.
 *
 * @param type  element type
 * @param key   the archive key ({@code data/KEY})
 * @param numel element count
 * @param data  read-only little-endian bytes, {@code numel * type.elementBytes()} long; {@code null} in the
 *              legacy reader's dry run, which only records the storages a pickle names
 */
record TorchStorage(TorchStorageType type, String key, long numel, ByteBuffer data) {
}
