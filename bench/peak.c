/* The machine's limits, measured on the machine, not taken from a library:
 *   fma_gflops  f32 FMA throughput: independent FMA chains in registers on
 *               every thread (AVX-512 where the CPU has it, else AVX2);
 *               the compute peak dlc's kernels are compared with
 *   sgemm_gflops OpenBLAS sgemm at 1024^3, beside it (its build may run
 *               older kernels than the CPU has)
 *   triad_gbs   a STREAM-style triad over 3 x 128 MiB (memory bandwidth)
 *   l2_gbs      the same triad over 3 x 64 KiB per thread, repeated
 *               (L2-resident bandwidth: what weights packed to fit L2 get)
 * Threads from the argument. usage: peak THREADS */
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* 12 independent accumulators hide the FMA latency (4 cycles, 2 ports). */
#define CHAINS 12

__attribute__((target("avx512f"))) static float fma512(long iterations) {
  __m512 acc[CHAINS], m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_set1_ps((float)c);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm512_fmadd_ps(acc[c], m, a);
  float sum = 0;
  for (int c = 0; c < CHAINS; ++c) sum += _mm512_reduce_add_ps(acc[c]);
  return sum;
}

__attribute__((target("avx2,fma"))) static float fma256(long iterations) {
  __m256 acc[CHAINS], m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_set1_ps((float)c);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
  float out[8], sum = 0;
  for (int c = 0; c < CHAINS; ++c) {
    _mm256_storeu_ps(out, acc[c]);
    for (int l = 0; l < 8; ++l) sum += out[l];
  }
  return sum;
}

/* Best GFLOP/s of the FMA loop over a few repetitions, on `threads`. */
static double fmaPeak(int threads, float *check) {
  int wide = __builtin_cpu_supports("avx512f");
  int lanes = wide ? 16 : 8;
  long iterations = 20000000;
  double best = 1e9;
  for (int r = 0; r < 5; ++r) {
    double t = now();
#pragma omp parallel num_threads(threads)
    {
      float s = wide ? fma512(iterations) : fma256(iterations);
#pragma omp atomic
      *check += s;
    }
    t = now() - t;
    if (t < best) best = t;
  }
  return 2.0 * lanes * CHAINS * (double)iterations * threads / best / 1e9;
}

/* Best GB/s of z = x + 3y over `floats` floats per array, `repeats` times
 * (each thread its own arrays: a per-thread working set). */
static double triad(int threads, size_t floats, int repeats, float *check) {
  double best = 1e9;
  float *x = malloc(sizeof(float) * floats * threads), *y = malloc(sizeof(float) * floats * threads),
        *z = malloc(sizeof(float) * floats * threads);
  for (size_t i = 0; i < floats * threads; ++i) { x[i] = 1; y[i] = 2; z[i] = 0; }
  for (int r = 0; r < 5; ++r) {
    double t = now();
#pragma omp parallel num_threads(threads)
    {
      size_t base = floats * omp_get_thread_num();
      for (int k = 0; k < repeats; ++k) {
        for (size_t i = base; i < base + floats; ++i) z[i] = x[i] + 3.0f * y[i];
        __asm__ volatile("" ::: "memory"); /* each repeat really runs */
      }
    }
    t = now() - t;
    if (t < best) best = t;
  }
  *check += z[1];
  free(x);
  free(y);
  free(z);
  return 3.0 * sizeof(float) * floats * threads * (double)repeats / best / 1e9;
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
  double sgemm = 2.0 * n * n * n / best / 1e9;
  float check = c[1];
  double fma = fmaPeak(threads, &check);
  double memory = triad(threads, (size_t)(32u << 20) / threads, 1, &check); /* 3 x 128 MiB */
  double l2 = triad(threads, 16u << 10, 2000, &check);                       /* 3 x 64 KiB */
  printf("{\"fma_gflops\": %.1f, \"sgemm_gflops\": %.1f, \"triad_gbs\": %.1f, "
         "\"l2_gbs\": %.1f, \"avx512\": %d, \"check\": %g}\n",
         fma, sgemm, memory, l2, __builtin_cpu_supports("avx512f") ? 1 : 0, check);
  return 0;
}
