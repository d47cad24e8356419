//===- Gemm.cpp - dlc's own AVX-512 sgemm microkernel ---------------------===//

#include "native/Gemm.h"

#include "threading/ThreadPool.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>

namespace dlrt::native {

namespace {

constexpr int kRows = 6;      ///< rows of C per block (6 x 4 accumulators)
constexpr int kCols = 64;     ///< columns per packed panel of B
/// Depth per step. A panel packed per call is in cache already: 256 steps
/// (64 KiB of panel) amortize reloading C best (resnet18: 39.6 vs 43.8 ms
/// at 128). A weight packed once streams from memory: 128 steps (32 KiB,
/// L1) with prefetch (the routed experts, 2 threads: ~10 -> ~8.5 ms, noisy).
constexpr int64_t kDepthPacked = 256, kDepthStreamed = 128;
/// Panel rows of a streamed weight prefetched into L2 ahead of the first
/// row block (~100 ns away); the later blocks find them there.
constexpr int64_t kAhead = 48;
/// The largest panel one thread packs (bytes): beyond it, OpenBLAS.
constexpr int64_t kMaxPanelBytes = int64_t(256) << 20;

/// C[0..R) x [0..cols) (+)= A[0..R) x panel over `depth` steps: the 6x4
/// accumulators in registers, A broadcast from its rows in place.
template <int R, bool Prefetch>
__attribute__((target("avx512f"))) void block(int64_t depth, const float *a, int64_t lda,
                                              const float *panel, float *c, int64_t ldc,
                                              int cols, bool accumulate) {
  __m512 acc[R][4];
  const __mmask16 full = 0xffff;
  __mmask16 mask[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    int left = cols - 16 * j;
    mask[j] = left >= 16 ? full : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
      acc[i][j] = accumulate ? _mm512_maskz_loadu_ps(mask[j], c + i * ldc + 16 * j)
                             : _mm512_setzero_ps();
  for (int64_t k = 0; k < depth; ++k) {
    const float *row = panel + k * kCols;
    if constexpr (Prefetch) {
      _mm_prefetch(reinterpret_cast<const char *>(row + kAhead * kCols), _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char *>(row + kAhead * kCols + 16), _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char *>(row + kAhead * kCols + 32), _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char *>(row + kAhead * kCols + 48), _MM_HINT_T1);
    }
    __m512 b0 = _mm512_load_ps(row), b1 = _mm512_load_ps(row + 16),
           b2 = _mm512_load_ps(row + 32), b3 = _mm512_load_ps(row + 48);
#pragma GCC unroll 6
    for (int i = 0; i < R; ++i) {
      __m512 x = _mm512_set1_ps(a[i * lda + k]);
      acc[i][0] = _mm512_fmadd_ps(x, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(x, b1, acc[i][1]);
      acc[i][2] = _mm512_fmadd_ps(x, b2, acc[i][2]);
      acc[i][3] = _mm512_fmadd_ps(x, b3, acc[i][3]);
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j)
      _mm512_mask_storeu_ps(c + i * ldc + 16 * j, mask[j], acc[i][j]);
}

using Block = void (*)(int64_t, const float *, int64_t, const float *, float *, int64_t, int, bool);
/// By rows, without and with prefetching the panel ahead.
constexpr Block kBlocks[2][kRows + 1] = {
    {nullptr, block<1, false>, block<2, false>, block<3, false>, block<4, false>,
     block<5, false>, block<6, false>},
    {nullptr, block<1, true>, block<2, true>, block<3, true>, block<4, true>, block<5, true>,
     block<6, true>}};

/// This thread's panel buffer (64-byte aligned), grown as needed.
float *panelBuffer(int64_t floats) {
  struct Free {
    void operator()(float *p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float, Free> buffer;
  thread_local int64_t capacity = 0;
  if (floats > capacity) {
    size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    buffer.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
    capacity = buffer ? floats : 0;
  }
  return buffer.get();
}

} // namespace

bool hasGemmKernel() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

namespace {

/// Copies b's columns [col0, col0 + 64) (zero-padded past n) into `panel`.
void packPanel(int64_t n, int64_t depth, const float *b, int64_t rowStride, int64_t colStride,
               int64_t col0, float *panel) {
  int cols = static_cast<int>(std::min<int64_t>(kCols, n - col0));
  for (int64_t k = 0; k < depth; ++k) {
    const float *from = b + k * rowStride + col0 * colStride;
    float *to = panel + k * kCols;
    if (colStride == 1) {
      std::copy(from, from + cols, to);
    } else {
      for (int j = 0; j < cols; ++j)
        to[j] = from[j * colStride];
    }
    std::fill(to + cols, to + kCols, 0.0f);
  }
}

/// The product over panels that `panelOf(p)` yields (packing into this
/// thread's buffer, or packed already); null from it: out of memory.
template <typename PanelOf>
bool drive(int64_t m, int64_t n, int64_t depth, const float *a, int64_t lda, float *c,
           int64_t ldc, ThreadPool *pool, bool streamed, PanelOf panelOf) {
  const int64_t step = streamed ? kDepthStreamed : kDepthPacked;
  if (m <= 0 || n <= 0)
    return true;
  if (depth <= 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return true;
  }
  int64_t panels = (n + kCols - 1) / kCols, tiles = (m + kRows - 1) / kRows;
  if (m * n * depth < (int64_t(1) << 20)) // ~10 us: not worth waking the pool
    pool = nullptr;
  int threads = pool ? pool->threads() : 1;
  // Tasks: (panel, range of row blocks); rows split only when there are
  // fewer panels than threads.
  int64_t chunks = std::min<int64_t>(tiles, std::max<int64_t>(1, (threads + panels - 1) / panels));
  int64_t perChunk = (tiles + chunks - 1) / chunks;
  std::atomic<bool> ok{true};
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t p = task / chunks, chunk = task % chunks;
      int64_t col0 = p * kCols;
      int cols = static_cast<int>(std::min<int64_t>(kCols, n - col0));
      const float *panel = panelOf(p);
      if (!panel) {
        ok = false;
        return;
      }
      int64_t first = chunk * perChunk, last = std::min(tiles, first + perChunk);
      for (int64_t k0 = 0; k0 < depth; k0 += step) {
        int64_t steps = std::min(step, depth - k0);
        for (int64_t t = first; t < last; ++t) {
          int64_t row = t * kRows;
          int rows = static_cast<int>(std::min<int64_t>(kRows, m - row));
          kBlocks[streamed && t == first][rows](steps, a + row * lda + k0, lda,
                                                 panel + k0 * kCols, c + row * ldc + col0, ldc,
                                                 cols, k0 > 0);
        }
      }
    }
  };
  if (pool && panels * chunks > 1)
    pool->parallelFor(panels * chunks, 1, run);
  else
    run(0, panels * chunks);
  return ok.load();
}

} // namespace

bool gemmF32(int64_t m, int64_t n, int64_t depth, const float *a, int64_t lda, const float *b,
             int64_t ldb, float *c, int64_t ldc, ThreadPool *pool) {
  if (depth * kCols * int64_t(sizeof(float)) > kMaxPanelBytes)
    return false;
  return drive(m, n, depth, a, lda, c, ldc, pool, false, [&](int64_t p) -> const float * {
    float *panel = panelBuffer(depth * kCols);
    if (panel)
      packPanel(n, depth, b, ldb, 1, p * kCols, panel);
    return panel;
  });
}

void PackedB::Free::operator()(float *p) const { std::free(p); }

std::unique_ptr<PackedB> PackedB::pack(int64_t n, int64_t depth, const float *b,
                                       int64_t rowStride, int64_t colStride) {
  if (n <= 0 || depth <= 0)
    return nullptr;
  int64_t panels = (n + kCols - 1) / kCols;
  if (depth > kMaxPanelBytes / (kCols * int64_t(sizeof(float))) ||
      panels > kMaxPanelBytes / (depth * kCols * int64_t(sizeof(float))))
    return nullptr; // over 256 MiB packed
  auto packed = std::unique_ptr<PackedB>(new PackedB);
  packed->n_ = n;
  packed->depth_ = depth;
  size_t bytes = static_cast<size_t>(panels * depth * kCols) * sizeof(float);
  packed->data_.reset(static_cast<float *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
  if (!packed->data_)
    return nullptr;
  for (int64_t p = 0; p < panels; ++p)
    packPanel(n, depth, b, rowStride, colStride, p * kCols,
              packed->data_.get() + p * depth * kCols);
  return packed;
}

int64_t PackedB::bytes() const {
  return (n_ + kCols - 1) / kCols * depth_ * kCols * int64_t(sizeof(float));
}

const float *PackedB::panel(int64_t p) const { return data_.get() + p * depth_ * kCols; }

bool gemmF32(int64_t m, const float *a, int64_t lda, const PackedB &b, float *c, int64_t ldc,
             ThreadPool *pool) {
  return drive(m, b.n(), b.depth(), a, lda, c, ldc, pool, true,
               [&](int64_t p) { return b.panel(p); });
}

} // namespace dlrt::native
