package io.steer4j.djl.model;

import io.steer4j.core.format.gguf.HalfFloats;
import io.steer4j.core.format.safetensors.SafetensorsDtype;
import io.steer4j.core.format.safetensors.SafetensorsHeader;
import io.steer4j.core.format.safetensors.SafetensorsTensorInfo;
import io.steer4j.core.format.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

/**
 * A model folder with every tensor of its {@code model.safetensors} stored as BF16 or F16 (rounded to nearest
 * even, as {@code tensor.to(torch.bfloat16)} and {@code .half()} round), the other files copied: what a checkpoint
 * published in 16 bits looks like, made from the float32 folders the tests have.
 */
final class HalfPrecisionCheckpoint {
    private HalfPrecisionCheckpoint() {
    }

    /** Writes the {@code dtype} (BF16 or F16) form of the model folder {@code src} into {@code dst} (created). */
    static Path of(Path src, Path dst, SafetensorsDtype dtype) throws IOException {
        if (dtype != SafetensorsDtype.BF16 && dtype != SafetensorsDtype.F16) {
            throw new IllegalArgumentException("BF16 or F16, not " + dtype);
        }
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().equals("model.safetensors")) {
                    Files.copy(f, dst.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path in = src.resolve("model.safetensors");
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
            SafetensorsHeader h = SafetensorsHeader.read(ch, in);
            for (SafetensorsTensorInfo t : h.tensors()) {
                float[] v = h.readFloats(ch, t, in);
                ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    b.putShort(dtype == SafetensorsDtype.BF16 ? HalfFloats.toBfloat16(f) : HalfFloats.toFloat16(f));
                }
                w.addRaw(t.name(), dtype, t.shape(), b.array());
            }
        }
        w.writeAtomically(dst.resolve("model.safetensors"));
        return dst;
    }
}
