/*
 * Multi-threaded memory read bandwidth, STREAM-style: each OpenMP thread sums its part of a float32 array far
 * larger than the last-level cache, repeatedly; the figure is bytes read per second of wall time (best of the
 * repetitions; -ffast-math lets gcc vectorise the float sum). It is the yardstick for "weights streamed per token" figures of `steer4j bench`: a decode step
 * reads every weight once, so tokens/s x bytes per token cannot exceed it.
 *
 *   gcc -O3 -march=native -ffast-math -fopenmp src-test-fixtures/bandwidth/read_bandwidth.c -o /tmp/read_bandwidth
 *   OMP_NUM_THREADS=2 /tmp/read_bandwidth 2048 10      # MiB, repetitions
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 2048;
    int reps = argc > 2 ? atoi(argv[2]) : 10;
    size_t n = mib * 1024 * 1024 / sizeof(float);
    float *a = aligned_alloc(64, n * sizeof(float));
    if (!a) {
        fprintf(stderr, "cannot allocate %zu MiB\n", mib);
        return 1;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        a[i] = (float) (i & 1023) * 1e-3f; /* first touch by the thread that will read it */
    }
    double best = 1e30, sum = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
        float s = 0;
#pragma omp parallel for schedule(static) reduction(+ : s)
        for (size_t i = 0; i < n; i++) {
            s += a[i];
        }
        double dt = omp_get_wtime() - t0;
        sum += s;
        if (dt < best) {
            best = dt;
        }
    }
    printf("threads %d, %zu MiB, best of %d: %.1f GB/s (checksum %.3g)\n", omp_get_max_threads(), mib, reps,
           n * sizeof(float) / best / 1e9, sum);
    free(a);
    return 0;
}
