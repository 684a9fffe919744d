package io.steer4j.cli;

import io.steer4j.bench.BenchCommand;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command-line help names what a user can pass, so nobody has to read the source to find it. */
class HelpTextTest {
    @Test
    void benchHelpNamesEverySection() {
        Steer4jCliTest.Run r = Steer4jCliTest.run("bench", "--help");
        assertEquals(0, r.code(), r.toString());
        for (String section : BenchCommand.sectionNames()) {
            assertTrue(r.out().contains(section), "bench --help does not name section '" + section + "':\n" + r.out());
        }
    }

    @Test
    void sweepHelpNamesEveryShippedDatasetFile() throws IOException {
        Steer4jCliTest.Run r = Steer4jCliTest.run("sweep", "--help");
        assertEquals(0, r.code(), r.toString());
        String help = r.out().replaceAll("([-:])\\s+", "$1").replaceAll("\\s+", " "); // picocli wraps after - and :
        for (String file : shippedDatasetFiles()) {
            assertTrue(help.contains("builtin:" + file), "sweep --help does not list builtin:" + file + ":\n" + r.out());
        }
    }

    /** Every file of examples/src/main/resources/datasets but its README. */
    static List<String> shippedDatasetFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src", "main", "resources", "datasets"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("README.md"))
                    .sorted().toList();
            assertTrue(names.size() >= 10, "expected the shipped datasets, found " + names);
            return names;
        }
    }
}
