package io.steer4j.djl.encoder;

import io.steer4j.djl.BertBaseUncased;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.SteeredEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Concept erasure on Google's BERT-Base uncased (imported from TensorFlow), whose folder has no sentence-transformers
 * files, so its sentence embedding is the plain mean of the last layer's tokens: the same experiment as on MiniLM
 * ({@link ConceptErasureCheck}).
 */
class BertBaseConceptErasureTest {
    @Test
    void projectingOutASentimentSubspaceLearnedOnOneSetLeavesFreshHeldOutProbesNearChanceAndKeepsRetrieval() {
        try (EncoderModel model = EncoderModel.load(BertBaseUncased.folder())) {
            ConceptErasureCheck.Result r = ConceptErasureCheck.run(SteeredEncoder.of(model), model.numLayers() - 1);
            System.out.println(r.report("bert-base-uncased"));
            assertTrue(r.before() >= 0.85, "the concept is linearly readable before erasure: " + r.before());
            assertTrue(r.after() <= 0.6, "held-out probe accuracy after erasure " + r.after());
            assertTrue(r.recallAfter() >= r.recallBefore() - 0.1, "retrieval recall@1 " + r.recallBefore() + " -> "
                    + r.recallAfter());
        }
    }
}
