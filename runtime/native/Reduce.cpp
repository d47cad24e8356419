//===- Reduce.cpp - Reductions over contiguous runs -----------------------===//

#include "native/Reduce.h"

#include "native/Gemm.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <immintrin.h>
#include <limits>

namespace dlrt::native {

namespace {

/// One run, one element at a time (machines without AVX-512, and the
/// reference the vector code must match): NaN propagates through max.
float runPortable(const float *x, int64_t length, RunReduction kind) {
  if (kind == RunReduction::Sum) {
    float lanes[8] = {};
    int64_t j = 0;
    for (; j + 8 <= length; j += 8)
      for (int l = 0; l < 8; ++l)
        lanes[l] += x[j + l];
    for (int l = 0; j < length; ++j, ++l)
      lanes[l] += x[j];
    float sum = 0.0f;
    for (float lane : lanes)
      sum += lane;
    return sum;
  }
  float best = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < length; ++j)
    if (x[j] > best || std::isnan(x[j]))
      best = std::isnan(best) ? best : x[j];
  return best;
}

#define DLRT_AVX512 __attribute__((target("avx512f")))

/// The 16 lanes of `v` combined. (GCC 12's _mm512_reduce_*_ps warn of an
/// uninitialized value inside them.)
DLRT_AVX512 float combineLanes(__m512 v, RunReduction kind) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float r = lanes[0];
  for (int l = 1; l < 16; ++l)
    r = kind == RunReduction::Sum ? r + lanes[l] : std::max(r, lanes[l]);
  return r;
}

DLRT_AVX512 float runAvx512(const float *x, int64_t length, RunReduction kind) {
  int64_t j = 0;
  if (kind == RunReduction::Sum) {
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    for (; j + 32 <= length; j += 32) {
      a = _mm512_add_ps(a, _mm512_loadu_ps(x + j));
      b = _mm512_add_ps(b, _mm512_loadu_ps(x + j + 16));
    }
    if (j + 16 <= length) {
      a = _mm512_add_ps(a, _mm512_loadu_ps(x + j));
      j += 16;
    }
    if (j < length)
      b = _mm512_add_ps(b, _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << (length - j)) - 1),
                                                 x + j));
    return combineLanes(_mm512_add_ps(a, b), kind);
  }
  const __m512 lowest = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  __m512 a = lowest;
  __mmask16 nan = 0;
  for (; j + 16 <= length; j += 16) {
    __m512 v = _mm512_loadu_ps(x + j);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    a = _mm512_mask_max_ps(a, 0xFFFF, a, v); // (_mm512_max_ps warns too)
  }
  if (j < length) {
    __m512 v = _mm512_mask_loadu_ps(lowest, static_cast<__mmask16>((1u << (length - j)) - 1), x + j);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    a = _mm512_mask_max_ps(a, 0xFFFF, a, v); // (_mm512_max_ps warns too)
  }
  return nan ? std::numeric_limits<float>::quiet_NaN() : combineLanes(a, kind);
}

} // namespace

void reduceRunsF32(const float *x, int64_t rows, int64_t rowStride, int64_t length,
                   RunReduction kind, float *c, ThreadPool *pool) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      c[r] = avx512 ? runAvx512(x + r * rowStride, length, kind)
                    : runPortable(x + r * rowStride, length, kind);
  };
  // A chunk reads at least kParallelWork / 16 elements (a reduction does
  // one add per element, a matmul's unit of work is a multiply-add in a
  // 16-lane FMA); smaller calls stay on this thread.
  int64_t grain = std::max<int64_t>(1, kParallelWork / 16 / std::max<int64_t>(length, 1));
  if (pool && rows > grain)
    pool->parallelFor(rows, grain, run);
  else
    run(0, rows);
}

} // namespace dlrt::native
