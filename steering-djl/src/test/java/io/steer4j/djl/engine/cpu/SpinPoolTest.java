package io.steer4j.djl.engine.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Java CPU engine's worker team: every part of every task runs exactly once, and failures reach the caller. */
class SpinPoolTest {
    @Test
    void everyPartOfManyTasksRunsExactlyOnce() {
        SpinPool pool = new SpinPool(3);
        for (int task = 0; task < 2_000; task++) {
            AtomicIntegerArray runs = new AtomicIntegerArray(64);
            int[] partsSeen = new int[1];
            pool.run((part, parts) -> {
                partsSeen[0] = parts;
                runs.incrementAndGet(part);
            });
            for (int p = 0; p < partsSeen[0]; p++) {
                assertEquals(1, runs.get(p), "task " + task + " part " + p);
            }
        }
    }

    @Test
    void aFailingPartFailsTheCallAndThePoolKeepsWorking() {
        SpinPool pool = new SpinPool(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run((part, parts) -> {
            if (part == parts - 1) {
                throw new IllegalStateException("part failed");
            }
        }));
        assertEquals("part failed", e.getMessage());
        int[] count = new int[1];
        pool.run((part, parts) -> {
            synchronized (count) {
                count[0]++;
            }
        });
        assertEquals(8, count[0], "2 threads x 4 parts each");
    }
}
