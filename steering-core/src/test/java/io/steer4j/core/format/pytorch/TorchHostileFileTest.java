package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.VectorImportOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile torch.save files (see write_torch_vectors.py) are refused, naming what was refused, running nothing. */
class TorchHostileFileTest {
    private static final VectorImportOptions AT_0 = VectorImportOptions.defaults().withLayer(0);

    private static String refusal(String name) {
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(TorchVectors.file("hostile/" + name), AT_0));
        assertTrue(e.getMessage().contains(name), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void handMadeTensorPickleIsReadSoTheHostileVariantsFailForTheirOneDefect() throws IOException {
        assertArrayEquals(new float[] {1, 2, 3, 4},
                TorchVectorFile.read(TorchVectors.file("hostile/hand_made_ok.pt"), AT_0).direction(0));
    }

    @Test
    void osSystemIsRefusedByNameAndNotRun() throws IOException {
        Path marker = Path.of("/tmp/pwned");
        boolean existed = Files.exists(marker);
        String m = refusal("os_system.pt");
        assertTrue(m.contains("'os.system' is not allowed"), m);
        assertTrue(m.contains("data.pkl byte 2"), "message gives the position: " + m);
        if (!existed) {
            assertFalse(Files.exists(marker), "the command ran");
        }
    }

    @Test
    void builtinsEvalIsRefusedByName() {
        String m = refusal("builtins_eval.pt");
        assertTrue(m.contains("'builtins.eval' is not allowed"), m);
    }

    @Test
    void instOpcodeIsRefusedByName() {
        String m = refusal("inst_opcode.pt");
        assertTrue(m.contains("opcode INST (0x69) is not allowed"), m);
    }

    @Test
    void deeplyNestedListsAreRefused() {
        String m = refusal("deep_nesting.pt");
        assertTrue(m.contains("nested deeper than " + ObjectGraphBounds.MAX_DEPTH), m);
    }

    @Test
    void exponentialMemoReferencesAreRefused() {
        String m = refusal("memo_bomb.pt");
        assertTrue(m.contains("pickle bomb"), m);
    }

    @Test
    void storageHoldingFewerBytesThanItsIdClaimsIsRefused() {
        String m = refusal("short_storage.pt");
        assertTrue(m.contains("storage '0' claims 4 float32 elements (16 bytes) but zip entry archive/data/0 holds"
                + " 4 bytes"), m);
    }

    @Test
    void zipEntryClaimingMoreBytesThanTheFileIsRefused() {
        String m = refusal("oversized_entry.pt");
        assertTrue(m.contains("zip entry archive/data/0 claims 1073741824 bytes, more than the whole file"), m);
    }

    @Test
    void entryNameEscapingTheArchiveIsRefused() {
        String m = refusal("path_escape.pt");
        assertTrue(m.contains("has a '..' segment"), m);
    }

    @Test
    void bigEndianArchiveIsRefused(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("big.pt");
        try (var in = new java.util.zip.ZipFile(TorchVectors.file("hostile/hand_made_ok.pt").toFile());
             var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(big))) {
            for (var e : java.util.Collections.list(in.entries())) {
                storedEntry(out, e.getName(), in.getInputStream(e).readAllBytes());
            }
            storedEntry(out, "archive/byteorder", "big".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(big, AT_0));
        assertTrue(e.getMessage().contains("written big-endian"), e.getMessage());
    }

    private static void storedEntry(java.util.zip.ZipOutputStream out, String name, byte[] data) throws IOException {
        var e = new java.util.zip.ZipEntry(name);
        var crc = new java.util.zip.CRC32();
        crc.update(data);
        e.setMethod(java.util.zip.ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        e.setCrc(crc.getValue());
        out.putNextEntry(e);
        out.write(data);
        out.closeEntry();
    }

    @Test
    void truncatedLegacyFileIsRefusedNamingThePickle(@TempDir Path dir) throws IOException {
        Path legacy = dir.resolve("old.pt");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10});
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(legacy, AT_0));
        assertTrue(e.getMessage().contains("legacy magic number byte 2: claims 10 bytes but only 0 remain"),
                e.getMessage());
    }

    @Test
    void legacyFileWhoseStorageIsCutShortIsRefused(@TempDir Path dir) throws IOException {
        byte[] whole = Files.readAllBytes(TorchVectors.file("legacy_dict.pt"));
        Path cut = dir.resolve("cut.pt");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 4));
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(cut, AT_0));
        assertTrue(e.getMessage().matches(".*storage '\\d+' claims 64 float32 elements; the file records 64 and"
                + " holds 252 more bytes"), e.getMessage());
    }

    @Test
    void fileThatIsNotAZipIsRefused(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("junk.pt");
        Files.writeString(junk, "not a zip at all");
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(junk, AT_0));
        assertTrue(e.getMessage().contains("not a zip archive"), e.getMessage());
    }
}
