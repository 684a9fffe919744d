package io.steer4j.core.format.pytorch;

import io.steer4j.core.format.VectorFileFormatException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pickle machine on hand-assembled pickles: what it builds, and what it refuses with which words. */
class RestrictedUnpicklerTest {
    private static Object load(Object... parts) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80);
        b.write(2);
        for (Object p : parts) {
            if (p instanceof String s) {
                b.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            } else {
                b.write((Integer) p);
            }
        }
        RestrictedUnpickler.StorageSource none = (t, k, n) -> {
            throw new AssertionError("no storage expected");
        };
        return new RestrictedUnpickler(Path.of("t.pt"), "archive/data.pkl", b.toByteArray(), none, 1000).load();
    }

    private static String refusal(Object... parts) {
        return assertThrows(VectorFileFormatException.class, () -> load(parts)).getMessage();
    }

    @Test
    void buildsDictsListsTuplesAndScalars() throws IOException {
        // {1: [2, 'ab'], 'k': (None, True)}
        Object o = load("}(K", 1, "](K", 2, "X", 2, 0, 0, 0, "abeX", 1, 0, 0, 0, "kN", 0x88, 0x86, "u.");
        assertEquals(Map.of(1L, List.of(2L, "ab"), "k", new PickleTuple(List.of(RestrictedUnpickler.NONE, true))),
                o);
    }

    @Test
    void unknownOpcodeByteIsRefusedNamingIt() {
        assertTrue(refusal(0xff).contains("unknown opcode 0xff"));
    }

    @Test
    void extensionRegistryOpcodeIsRefusedNamingIt() {
        assertTrue(refusal(0x82, 1, ".").contains("opcode EXT1 (0x82) is not allowed"));
    }

    @Test
    void stackGlobalOutsideTheAllowListIsRefusedNamingIt() {
        String m = refusal(0x8c, 10, "subprocess", 0x8c, 5, "Popen", 0x93, ".");
        assertTrue(m.contains("'subprocess.Popen' is not allowed"), m);
    }

    @Test
    void allowedClassCannotBeCalledThroughReduce() {
        String m = refusal("crepeng.extract\nControlVector\n)R.");
        assertTrue(m.contains("'repeng.extract.ControlVector' cannot be called"), m);
    }

    @Test
    void stringLongerThanThePickleIsRefused() {
        String m = refusal("X", 0xff, 0xff, 0xff, 0x7f, "abc.");
        assertTrue(m.contains("claims 2147483647 bytes but only 4 remain"), m);
    }

    @Test
    void listContainingItselfIsRefused() {
        String m = refusal("]q", 0, "h", 0, "a.");
        assertTrue(m.contains("reference cycle"), m);
    }

    @Test
    void containerAsDictKeyIsRefused() {
        String m = refusal("}]K", 1, "s.");
        assertTrue(m.contains("dict key or set item of type list"), m);
    }

    @Test
    void pickleWithoutStopIsRefused() {
        assertTrue(refusal("K", 1).contains("without STOP"));
    }
}
