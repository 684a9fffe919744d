package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads the object a {@code torch.save} file holds, the way {@code torch.load(weights_only=True)} would but with
 * nothing executed: the archive through {@link TorchZipArchive} (or the legacy format through
 * {@link LegacyTorchFile}), the pickle through {@link RestrictedUnpickler}.
 * Tensors come back as {@link TorchTensor}, dicts as {@code Map}, lists as {@code List}, tuples as
 * {@link PickleTuple}, numpy arrays as {@link NumpyArray}, allowed dataclasses as {@link PickledObject}, None as
 * {@link RestrictedUnpickler#NONE}.
 */
final class TorchSaveFile {
    private TorchSaveFile() {
    }

    static Object load(Path file) throws IOException {
        long size = Files.size(file);
        int first;
        try (InputStream in = Files.newInputStream(file)) {
            first = in.read();
        }
        if (first == 0x80) {
            return LegacyTorchFile.load(file);
        }
        try (TorchZipArchive zip = TorchZipArchive.open(file)) {
            // PyTorch >= 2.1 records the writer's byte order; older files are little-endian
            String byteOrder = zip.prefix() + "/byteorder";
            if (zip.has(byteOrder) && !"little".equals(new String(zip.read(byteOrder),
                    java.nio.charset.StandardCharsets.US_ASCII).strip())) {
                throw new VectorFileFormatException(file, "storages were written big-endian (" + byteOrder
                        + "); steer4j reads little-endian torch.save files");
            }
            byte[] pickle = zip.read(zip.picklePath());
            // Each element takes at least 2 bytes in a storage; twice the file size leaves room for views
            // sharing one storage while still bounding what a file can make us allocate.
            return new RestrictedUnpickler(file, zip.picklePath(), pickle, zip::storage, 2 * size).load();
        }
    }
}
