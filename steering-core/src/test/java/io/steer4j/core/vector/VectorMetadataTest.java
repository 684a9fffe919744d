package io.steer4j.core.vector;

import io.steer4j.core.plan.HookPoint;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMetadataTest {
    @Test
    void builderDefaultsToResidPostAndSteer4jLayerNumbering() {
        VectorMetadata m = VectorMetadata.builder().hiddenSize(8).build();
        assertEquals("resid_post", m.hookPoint());
        assertEquals("steer4j: layer L = output of 0-based block L", m.layerNumbering());
        assertEquals("", m.modelId());
        assertEquals(0, m.datasetSize());
        assertNotNull(m.createdAt());
    }

    @Test
    void hiddenSizeMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> VectorMetadata.builder().build());
    }

    @Test
    void blankHookPointIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> VectorMetadata.builder().hiddenSize(2).hookPoint(" ").build());
    }

    @Test
    void negativeDatasetSizeIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> VectorMetadata.builder().hiddenSize(2).datasetSize(-1).build());
    }

    @Test
    void hookPointEnumIsStoredAsItsId() {
        assertEquals("mlp_out", VectorMetadata.builder().hiddenSize(2).hookPoint(HookPoint.MLP_OUT).build().hookPoint());
    }

    @Test
    void notesAreCopiedSortedAndUnmodifiable() {
        Map<String, String> notes = new HashMap<>(Map.of("b", "2", "a", "1"));
        VectorMetadata m = VectorMetadata.builder().hiddenSize(2).notes(notes).build();
        notes.put("c", "3");
        assertEquals(List.of("a", "b"), List.copyOf(m.notes().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> m.notes().put("d", "4"));
    }

    @Test
    void toBuilderChangesOnlyWhatIsSet() {
        VectorMetadata m = VectorMetadata.builder().hiddenSize(2).modelId("gpt2").note("k", "v").build();
        VectorMetadata changed = m.toBuilder().method("pca_diff").build();
        assertEquals("pca_diff", changed.method());
        assertEquals("gpt2", changed.modelId());
        assertEquals(m.createdAt(), changed.createdAt());
        assertEquals(Map.of("k", "v"), changed.notes());
    }

    @Test
    void hookPointParseAcceptsEveryId() {
        assertEquals(HookPoint.RESID_PRE, HookPoint.parse("resid_pre"));
        assertEquals(HookPoint.RESID_POST, HookPoint.parse("resid_post"));
        assertEquals(HookPoint.ATTN_OUT, HookPoint.parse("attn_out"));
        assertEquals(HookPoint.MLP_OUT, HookPoint.parse("mlp_out"));
    }

    @Test
    void hookPointParseListsValidIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookPoint.parse("resid"));
        assertTrue(e.getMessage().contains("'resid'") && e.getMessage().contains("resid_pre, resid_post, attn_out, mlp_out"),
                e.getMessage());
    }
}
