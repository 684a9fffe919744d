package io.steer4j.spark;

import io.steer4j.core.dataset.ContrastiveDataset;
import io.steer4j.core.dataset.ContrastivePair;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.djl.model.EncoderModel;
import io.steer4j.djl.steering.ReadPosition;
import io.steer4j.djl.steering.SteeringVectorComputer;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link SparkVectorComputer} on a BERT encoder (the real all-MiniLM-L6-v2) equals the single-machine vector. */
class SparkEncoderVectorTest {
    private static final ContrastiveDataset PAIRS = new ContrastiveDataset("mood", List.of(
            new ContrastivePair("I am so happy today.", "I am so sad today."),
            new ContrastivePair("What a delightful surprise.", "What a miserable surprise."),
            new ContrastivePair("The food was delicious.", "The food was disgusting."),
            new ContrastivePair("We won the match.", "We lost the match again."),
            new ContrastivePair("A kind and warm smile.", "A cold and cruel stare.")));

    @Test
    void sparkVectorOnMiniLmEqualsTheSingleMachineVectorAtClsAndMean() {
        Path folder = LocalSpark.realModel("all-minilm-l6-v2").orElse(null);
        Assumptions.assumeTrue(folder != null, "pretrained model 'all-minilm-l6-v2' not found in ../shared/models/"
                + "all-minilm-l6-v2 or $STEER4J_MODELS/all-minilm-l6-v2; this test needs the real checkpoint");
        SparkSession spark = LocalSpark.session();
        try (EncoderModel model = EncoderModel.load(folder)) {
            for (String read : List.of("cls", "mean")) {
                SteeringVector local = SteeringVectorComputer.builder(model).layers(1, 4)
                        .readPosition(ReadPosition.parse(read)).build().compute(PAIRS).vector();
                SteeringVector spread = SparkVectorComputer.builder(folder.toString()).layers(1, 4)
                        .readPosition(ReadPosition.parse(read)).batchSize(2).build().compute(spark, PAIRS, 3);
                assertEquals(local.layers(), spread.layers());
                assertEquals(384, spread.hiddenSize());
                for (int l : local.layers()) {
                    float[] a = local.direction(l);
                    float[] b = spread.direction(l);
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(a[i], b[i], 1e-5, read + " layer " + l + " dim " + i);
                    }
                }
            }
        }
    }
}
