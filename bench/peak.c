/* The machine's limits, measured: OpenBLAS sgemm GFLOP/s at 1024^3 (the
 * GEMM peak dlc's kernels are compared with) and a STREAM-style triad's
 * GB/s. Threads from OPENBLAS_NUM_THREADS / the argument.
 * usage: peak THREADS */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  openblas_set_num_threads(threads);
  int n = 1024;
  float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
        *c = malloc(sizeof(float) * n * n);
  for (int i = 0; i < n * n; ++i) a[i] = b[i] = 1.0f / (1 + i % 7);
  double best = 1e9;
  for (int r = 0; r < 7; ++r) {
    double t = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
    t = now() - t;
    if (t < best) best = t;
  }
  double gflops = 2.0 * n * n * n / best / 1e9;
  size_t m = 32u << 20; /* 3 x 128 MiB: far beyond any cache */
  float *x = malloc(sizeof(float) * m), *y = malloc(sizeof(float) * m), *z = malloc(sizeof(float) * m);
  for (size_t i = 0; i < m; ++i) { x[i] = 1; y[i] = 2; z[i] = 0; }
  double bestTriad = 1e9;
  for (int r = 0; r < 5; ++r) {
    double t = now();
#pragma omp parallel for num_threads(threads)
    for (size_t i = 0; i < m; ++i) z[i] = x[i] + 3.0f * y[i];
    t = now() - t;
    if (t < bestTriad) bestTriad = t;
  }
  double gbs = 3.0 * sizeof(float) * m / bestTriad / 1e9;
  printf("{\"sgemm_gflops\": %.1f, \"triad_gbs\": %.1f, \"check\": %g}\n", gflops, gbs, c[1] + z[1]);
  return 0;
}
