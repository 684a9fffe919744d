package io.steer4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code steer4j bench --sections memory}: resident memory before and after the model load, now and at its peak,
 * and the heap against the native rest, after a garbage collection.
 */
final class MemorySection {
    private MemorySection() {
    }

    static void run(long rssBefore, long rssLoaded, Map<String, Object> report) {
        System.gc();
        double mib = 1048576.0;
        long rss = Memory.rssBytes();
        long committed = Memory.heapCommittedBytes();
        System.out.printf("%nmemory: RSS before load %.0f MiB, after load %.0f MiB (model +%.0f MiB), now %.0f MiB, "
                        + "peak %.0f MiB; heap used %.0f MiB of %.0f MiB committed; native (RSS - committed heap) "
                        + "%.0f MiB%n", rssBefore / mib, rssLoaded / mib, (rssLoaded - rssBefore) / mib, rss / mib,
                Memory.peakRssBytes() / mib, Memory.heapUsedBytes() / mib, committed / mib, (rss - committed) / mib);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rss_before_load_mib", rssBefore / mib);
        out.put("rss_after_load_mib", rssLoaded / mib);
        out.put("rss_now_mib", rss / mib);
        out.put("rss_peak_mib", Memory.peakRssBytes() / mib);
        out.put("heap_used_mib", Memory.heapUsedBytes() / mib);
        out.put("native_mib", (rss - committed) / mib);
        report.put("memory", out);
    }
}
