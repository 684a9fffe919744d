package io.steer4j.djl.model;

import io.steer4j.fixtures.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading and closing models does not gather threads: the Java CPU engine has one worker team per process. */
class LoadCloseThreadsTest {
    private static final int CYCLES = 200;

    @Test
    void twoHundredLoadCloseCyclesLeaveTheThreadCountFlat(@TempDir Path dir) throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2"));
        try (LanguageModel first = LanguageModel.load(ckpt)) { // starts the engine thread and the worker team
            assertEquals(CpuEngine.JAVA, first.cpuEngine(), "the Java engine, whose workers used to leak");
        }
        int before = ManagementFactory.getThreadMXBean().getThreadCount();
        for (int i = 0; i < CYCLES; i++) {
            try (LanguageModel m = LanguageModel.load(ckpt)) {
                assertEquals(CpuEngine.JAVA, m.cpuEngine());
            }
        }
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        assertTrue(after <= before + 3, CYCLES + " load/close cycles: " + before + " live threads before, " + after
                + " after");
    }
}
