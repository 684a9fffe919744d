package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The legacy (PyTorch &lt; 1.6, or {@code _use_new_zipfile_serialization=False}) {@code torch.save} format: five
 * pickles in a row (magic number, protocol version 1001, system info, the object, the list of storage keys), then
 * each storage's element count (int64) and raw bytes, in the order of that list.
 *
 * <p>The object's pickle names storages whose bytes come after it, so it is run twice through the same
 * {@link RestrictedUnpickler}: a dry run records the storages it names (and finds where it ends), then, once the
 * storages are read and checked against those claims, the real run rebuilds the tensors. Whole file in memory,
 * refused above 2 GiB.
 */
final class LegacyTorchFile {
    static final BigInteger MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long PROTOCOL_VERSION = 1001;

    private LegacyTorchFile() {
    }

    private record Claim(TorchStorageType type, long numel) {
    }

    static Object load(Path file) throws IOException {
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new VectorFileFormatException(file, "legacy torch.save files over 2 GiB are not read");
        }
        byte[] all = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        RestrictedUnpickler.StorageSource none = (t, k, n) -> {
            throw new IllegalArgumentException("a storage outside the object's pickle");
        };
        Object magic = new RestrictedUnpickler(file, "legacy magic number", in, none, 0).load();
        if (!MAGIC.equals(magic instanceof Long l ? BigInteger.valueOf(l) : magic)) {
            throw new VectorFileFormatException(file, "starts with a pickle but not torch.save's magic number");
        }
        Object version = new RestrictedUnpickler(file, "legacy protocol version", in, none, 0).load();
        if (!Long.valueOf(PROTOCOL_VERSION).equals(version)) {
            throw new VectorFileFormatException(file, "legacy torch.save protocol version is not "
                    + PROTOCOL_VERSION);
        }
        Object sysInfo = new RestrictedUnpickler(file, "legacy system info", in, none, 0).load();
        if (!(sysInfo instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
            throw new VectorFileFormatException(file, "legacy torch.save file was not written little-endian");
        }
        int objectStart = in.position();
        Map<String, Claim> claims = new HashMap<>();
        new RestrictedUnpickler(file, "legacy object pickle", in, (type, key, numel) -> {
            if (numel < 0 || numel > size / type.elementBytes()) {
                throw new VectorFileFormatException(file, "storage '" + key + "' claims " + numel + " "
                        + type.dtype() + " elements, more than the whole file (" + size + " bytes) can hold");
            }
            claims.put(key, new Claim(type, numel));
            return new TorchStorage(type, key, numel, null);
        }, 2 * size).load();
        Object keys = new RestrictedUnpickler(file, "legacy storage key list", in, none, 0).load();
        if (!(keys instanceof List<?> keyList)) {
            throw new VectorFileFormatException(file, "legacy storage key list is not a list");
        }
        Map<String, TorchStorage> storages = new HashMap<>();
        for (Object k : keyList) {
            Claim c = k instanceof String key ? claims.get(key) : null;
            if (c == null || storages.containsKey((String) k)) {
                throw new VectorFileFormatException(file, "legacy storage key list names a storage the object"
                        + " does not use, or one twice");
            }
            String key = (String) k;
            if (in.remaining() < Long.BYTES) {
                throw new VectorFileFormatException(file, "storage '" + key + "' is missing (file ends at byte "
                        + in.position() + ")");
            }
            long numel = in.getLong();
            long bytes = c.numel() * c.type().elementBytes();
            if (numel != c.numel() || bytes > in.remaining()) {
                throw new VectorFileFormatException(file, "storage '" + key + "' claims " + c.numel() + " "
                        + c.type().dtype() + " elements; the file records " + numel + " and holds "
                        + Math.max(0, in.remaining()) + " more bytes");
            }
            ByteBuffer data = in.slice(in.position(), (int) bytes).order(ByteOrder.LITTLE_ENDIAN)
                    .asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
            in.position(in.position() + (int) bytes);
            storages.put(key, new TorchStorage(c.type(), key, numel, data));
        }
        if (storages.size() != claims.size()) {
            throw new VectorFileFormatException(file, "the object uses " + claims.size() + " storages but the file"
                    + " holds " + storages.size());
        }
        in.position(objectStart);
        return new RestrictedUnpickler(file, "legacy object pickle", in, (type, key, numel) -> {
            TorchStorage s = storages.get(key);
            if (s.type() != type || s.numel() != numel) {
                throw new VectorFileFormatException(file, "storage '" + key + "' changed type or size");
            }
            return s;
        }, 2 * size).load();
    }
}
