package io.steer4j.djl.model;

import ai.djl.ndarray.NDManager;
import io.steer4j.djl.hooks.HookSet;
import io.steer4j.fixtures.TinyCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loading, using and closing models does not gather threads: the Java CPU engine has one worker team per process
 * (it had one per model, whose workers never stopped).
 */
class LoadCloseThreadsTest {
    private static final int CYCLES = 200;

    @Test
    void twoHundredLoadCloseCyclesLeaveTheThreadCountFlat(@TempDir Path dir) throws IOException {
        Path ckpt = TinyCheckpoints.gpt2(dir.resolve("gpt2"));
        try (LanguageModel first = LanguageModel.load(ckpt)) { // starts the engine thread and the worker team
            assertEquals(CpuEngine.JAVA, first.cpuEngine(), "the Java engine, whose workers used to leak");
            onePass(first);
        }
        int before = ManagementFactory.getThreadMXBean().getThreadCount();
        for (int i = 0; i < CYCLES; i++) {
            try (LanguageModel m = LanguageModel.load(ckpt)) {
                onePass(m);
            }
        }
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        assertTrue(after <= before + 3, CYCLES + " load/close cycles: " + before + " live threads before, " + after
                + " after");
    }

    /** A prompt pass on the Java engine (which needs the worker team). */
    private static void onePass(LanguageModel m) {
        try (NDManager call = m.newCallManager()) {
            KvCache cache = m.newCache(call, 1, 4);
            long before = m.javaEnginePasses();
            m.forward(ForwardInput.leftPadded(call, List.of(new long[] {3, 1, 4}), 0, new int[] {3}), cache,
                    HookSet.NONE, LogitsMode.LAST);
            assertEquals(before + 1, m.javaEnginePasses(), "the pass ran on the Java engine");
        }
    }
}
