package io.steer4j.core.vector;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationMatrixTest {
    @Test
    void dataIsRowMajor() {
        ActivationMatrix m = new ActivationMatrix(2, 3, new float[] {1, 2, 3, 4, 5, 6});
        assertEquals(2, m.rows());
        assertEquals(3, m.dim());
        assertEquals(6f, m.get(1, 2));
        assertArrayEquals(new float[] {4, 5, 6}, m.row(1));
    }

    @Test
    void constructorCopiesTheData() {
        float[] data = {1, 2};
        ActivationMatrix m = new ActivationMatrix(1, 2, data);
        data[0] = 9;
        assertEquals(1f, m.get(0, 0));
    }

    @Test
    void ofRowsStacksRows() {
        ActivationMatrix m = ActivationMatrix.ofRows(new float[] {1, 2}, new float[] {3, 4});
        assertEquals(3f, m.get(1, 0));
    }

    @Test
    void ofRowsRejectsRaggedRowsNamingTheRow() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ActivationMatrix.ofRows(List.of(new float[] {1, 2}, new float[] {3})));
        assertTrue(e.getMessage().contains("row 1"), e.getMessage());
    }

    @Test
    void sizeMustMatchTheData() {
        assertThrows(IllegalArgumentException.class, () -> new ActivationMatrix(2, 2, new float[3]));
    }

    @Test
    void emptyMatrixIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ActivationMatrix.ofRows(List.of()));
    }

    @Test
    void nonFiniteValueIsRejectedNamingRowAndColumn() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ActivationMatrix(2, 3, new float[] {0, 0, 0, 0, Float.NaN, 0}));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("column 1"), e.getMessage());
    }
}
