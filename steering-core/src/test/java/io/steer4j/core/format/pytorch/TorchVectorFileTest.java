package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;
import io.steer4j.core.format.VectorImportOptions;
import io.steer4j.core.plan.HookPoint;
import io.steer4j.core.vector.SteeringVector;
import io.steer4j.core.vector.VectorMetadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Files torch.save wrote (PyTorch 1.13, see src-test-fixtures/python/write_torch_vectors.py) read as PyTorch holds
 * them.
 */
class TorchVectorFileTest {
    private static final VectorImportOptions AT_LAYER_2 = VectorImportOptions.defaults().withLayer(2);

    private static SteeringVector bare(String name) throws IOException {
        return TorchVectorFile.read(TorchVectors.file(name), AT_LAYER_2);
    }

    @Test
    void bareFloat32TensorIsOneDirectionAtTheGivenLayer() throws IOException {
        SteeringVector v = bare("bare.pt");
        assertEquals(Set.of(2), v.layers());
        assertArrayEquals(TorchVectors.expectedBare("bare.pt"), v.direction(2));
        assertEquals(HookPoint.RESID_POST.id(), v.metadata().hookPoint());
        assertEquals(VectorMetadata.STEER4J_LAYER_NUMBERING, v.metadata().layerNumbering());
    }

    @Test
    void bareTensorGivenSeveralLayersIsPlacedAtEachAsEasySteerDoes() throws IOException {
        SteeringVector v = TorchVectorFile.read(TorchVectors.file("bare.pt"),
                VectorImportOptions.defaults().withLayers(java.util.List.of(1, 3)));
        assertEquals(Set.of(1, 3), v.layers());
        assertArrayEquals(TorchVectors.expectedBare("bare.pt"), v.direction(1));
        assertArrayEquals(TorchVectors.expectedBare("bare.pt"), v.direction(3));
    }

    @Test
    void nonContiguousSliceWithStorageOffsetReadsTheViewNotTheStorage() throws IOException {
        assertArrayEquals(TorchVectors.expectedBare("slice.pt"), bare("slice.pt").direction(2));
    }

    @Test
    void float16TensorIsWidenedExactly() throws IOException {
        SteeringVector v = bare("float16.pt");
        assertArrayEquals(TorchVectors.expectedBare("float16.pt"), v.direction(2));
        assertEquals("float16", v.metadata().notes().get("source_dtype"));
    }

    @Test
    void bfloat16TensorIsWidenedExactly() throws IOException {
        SteeringVector v = bare("bfloat16.pt");
        assertArrayEquals(TorchVectors.expectedBare("bfloat16.pt"), v.direction(2));
        assertEquals("bfloat16", v.metadata().notes().get("source_dtype"));
    }

    @Test
    void nnParameterIsReadAsItsTensor() throws IOException {
        assertArrayEquals(TorchVectors.expectedBare("parameter.pt"), bare("parameter.pt").direction(2));
    }

    @Test
    void bareTensorWithoutALayerIsRefusedSayingHowToGiveOne() {
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(TorchVectors.file("bare.pt")));
        assertTrue(e.getMessage().contains("does not say which layer"), e.getMessage());
        assertTrue(e.getMessage().contains("withLayer"), e.getMessage());
    }

    @Test
    void dictOfTensorsMapsEachKeyToThatLayer() throws IOException {
        assertLayers(TorchVectors.expected("dict.pt"), TorchVectorFile.read(TorchVectors.file("dict.pt")));
    }

    @Test
    void orderedDictIsReadLikeADict() throws IOException {
        assertLayers(TorchVectors.expected("ordered_dict.pt"),
                TorchVectorFile.read(TorchVectors.file("ordered_dict.pt")));
    }

    @Test
    void steeringVectorsDecoderBlockVectorIsResidPostAtTheSameLayers() throws IOException {
        SteeringVector v = TorchVectorFile.read(TorchVectors.file("steering_vectors.pt"));
        assertLayers(TorchVectors.expected("steering_vectors.pt"), v);
        assertEquals(HookPoint.RESID_POST.id(), v.metadata().hookPoint());
        assertEquals("steering-vectors SteeringVector", v.metadata().notes().get("source_layout"));
        assertTrue(v.metadata().notes().get("source_convention").contains("decoder_block"));
    }

    @Test
    void repengNegativeLayerIdsCountFromTheEndOfTheModel() throws IOException {
        SteeringVector v = TorchVectorFile.read(TorchVectors.file("repeng.pt"),
                VectorImportOptions.defaults().withModelLayerCount(5));
        Map<Integer, float[]> want = TorchVectors.expected("repeng.pt");
        assertEquals(Set.of(3, 4), v.layers());
        assertArrayEquals(want.get(-1), v.direction(4));
        assertArrayEquals(want.get(-2), v.direction(3));
        assertEquals("llama", v.metadata().modelId());
        assertEquals("-2,-1", v.metadata().notes().get("source_layers"));
    }

    @Test
    void repengNegativeLayerIdsWithoutALayerCountAreRefused() {
        VectorFileFormatException e = assertThrows(VectorFileFormatException.class,
                () -> TorchVectorFile.read(TorchVectors.file("repeng.pt")));
        assertTrue(e.getMessage().contains("counts from the end"), e.getMessage());
    }

    @Test
    void caaFileNameGivesLayerAndModel() throws IOException {
        SteeringVector v = TorchVectorFile.read(TorchVectors.file("caa/helpfulness/vec_layer_2_stories260k.pt"));
        assertEquals(Set.of(2), v.layers());
        assertEquals("stories260k", v.metadata().modelId());
        assertArrayEquals(TorchVectors.expected("caa/helpfulness").get(2), v.direction(2));
    }

    @Test
    void caaFolderIsOneVectorWithEveryLayer() throws IOException {
        SteeringVector v = CaaVectorFolder.read(TorchVectors.file("caa/helpfulness"));
        assertLayers(TorchVectors.expected("caa/helpfulness"), v);
        assertEquals("stories260k", v.metadata().modelId());
    }

    @Test
    void caaFolderForAnotherModelIsRefused() {
        assertThrows(VectorFileFormatException.class,
                () -> CaaVectorFolder.read(TorchVectors.file("caa/helpfulness"), "Llama-2-7b-chat-hf"));
    }

    @Test
    void legacyFormatDictIsReadLikeTheZipFormat() throws IOException {
        assertLayers(TorchVectors.expected("legacy_dict.pt"),
                TorchVectorFile.read(TorchVectors.file("legacy_dict.pt")));
    }

    @Test
    void legacyFormatSliceReadsTheViewNotTheStorage() throws IOException {
        assertArrayEquals(TorchVectors.expectedBare("legacy_slice.pt"), bare("legacy_slice.pt").direction(2));
    }

    @Test
    void sourceFormatIsRecorded() throws IOException {
        SteeringVector v = TorchVectorFile.read(TorchVectors.file("dict.pt"));
        assertEquals(TorchVectorFile.SOURCE_FORMAT, v.metadata().notes().get("source_format"));
        assertEquals("dict {layer: tensor}", v.metadata().notes().get("source_layout"));
    }

    private static void assertLayers(Map<Integer, float[]> want, SteeringVector got) {
        assertEquals(want.keySet(), got.layers());
        want.forEach((layer, values) -> assertArrayEquals(values, got.direction(layer), "layer " + layer));
    }
}
