package io.steer4j.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stand-in for {@code examples/peer/llama-peer.mjs} in tests, run where node would be: prints the script's JSON
 * lines with the ids in {@code PEER_DIR/ids-ROUND.txt} (round = how many times it ran before), and writes the
 * {@code UV_THREADPOOL_SIZE} it was given to {@code PEER_DIR/uv-threadpool-size}.
 */
public final class FakeLlamaPeer {
    private FakeLlamaPeer() {
    }

    /** Arguments: SCRIPT PEER_DIR MODEL.gguf PROMPT_IDS NEW_TOKENS THREADS GENERATIONS. */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        Path counter = dir.resolve("round");
        int round = Files.exists(counter) ? Integer.parseInt(Files.readString(counter).trim()) : 0;
        Files.writeString(counter, String.valueOf(round + 1));
        Files.writeString(dir.resolve("uv-threadpool-size"), String.valueOf(System.getenv("UV_THREADPOOL_SIZE")));
        String ids = Files.readString(dir.resolve("ids-" + round + ".txt")).trim();
        System.out.println("{\"load_ms\": 12.5, \"threads\": " + args[5] + "}");
        for (int g = 0; g < Integer.parseInt(args[6]); g++) {
            System.out.println("{\"generation\": " + g + ", \"prompt_ms\": 1.5, \"decode_tokens_per_s\": 100.0, "
                    + "\"ids\": [" + ids + "]}");
        }
        System.out.println("{\"peak_rss_mib\": 50.0}");
    }
}
