package io.steer4j.djl.hub;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

import java.time.Duration;

/**
 * The console progress bar of one file's download: shown only when progress bars are on and the file is at least
 * 1 MiB (configs and tokenizers arrive without one), starting from the bytes a resumed download already has.
 */
final class DownloadProgress {
    private static final long THRESHOLD_BYTES = 1L << 20;

    private DownloadProgress() {
    }

    /** A started bar, or null when none is to be shown. */
    static ProgressBar start(boolean enabled, String repo, String file, long total, long start) {
        if (!enabled || total < THRESHOLD_BYTES) {
            return null;
        }
        return new ProgressBarBuilder()
                .setTaskName(repo.substring(repo.indexOf('/') + 1) + "/" + file)
                .setInitialMax(total)
                .setUnit("MiB", 1L << 20)
                .showSpeed()
                .setUpdateIntervalMillis(500)
                .startsFrom(start, Duration.ZERO)
                .build();
    }
}
