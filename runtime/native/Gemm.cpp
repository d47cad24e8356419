//===- Gemm.cpp - dlc's own AVX-512 f32 matmul microkernel ----------------===//

#include "native/Gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace dlrt::native {

namespace {

constexpr int kRows = 6;             ///< rows of C per block (6 x 4 accumulators)
constexpr int kCols = kPanelColumns; ///< columns per panel of B
/// Depth per step. A panel packed per call is in cache already: 256 steps
/// (64 KiB of panel) amortize reloading C best (resnet18: 39.6 vs 43.8 ms
/// at 128). A weight packed once or read in place streams from memory:
/// 128 steps (32 KiB, L1) with prefetch (the routed experts, 2 threads:
/// ~10 -> ~8.5 ms, noisy).
constexpr int64_t kDepthPacked = 256, kDepthStreamed = 128;
/// Rows of B prefetched into L2 ahead of the first row block (~100 ns
/// away); the later blocks find them there.
constexpr int64_t kAhead = 48;
/// The largest panel one thread packs or a packed operand holds (bytes).
constexpr int64_t kMaxPanelBytes = int64_t(256) << 20;

/// How a block starts and ends: C loaded first (or zero), and on the last
/// slice of the depth the epilogue's bias and relu.
struct Ends {
  bool load = false;
  const float *bias = nullptr;
  bool relu = false;
};

#define DLRT_AVX512 __attribute__((target("avx512f")))

/// One step of a block: B's row k (V vectors) times A's R elements of
/// column k into the accumulators `acc`.
template <int R, int V, bool Prefetch>
DLRT_AVX512 __attribute__((always_inline)) inline void step(__m512 (&acc)[R][4], const float *a,
                                                            int64_t lda, const float *b,
                                                            int64_t ldb, const __mmask16 (&mask)[4],
                                                            int64_t k) {
  const float *row = b + k * ldb;
  if constexpr (Prefetch) {
    const char *ahead = reinterpret_cast<const char *>(row + kAhead * ldb);
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j)
      _mm_prefetch(ahead + 64 * j, _MM_HINT_T1);
  }
  // (Only the last vector can be partial: the others load without a mask,
  // which costs half as much where a row read in place crosses cache lines.)
  __m512 v[4];
#pragma GCC unroll 4
  for (int j = 0; j < V; ++j)
    v[j] = j + 1 < V ? _mm512_loadu_ps(row + 16 * j) : _mm512_maskz_loadu_ps(mask[j], row + 16 * j);
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i) {
    __m512 x = _mm512_set1_ps(a[i * lda + k]);
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j)
      acc[i][j] = _mm512_fmadd_ps(x, v[j], acc[i][j]);
  }
}

/// C[0..R) x [0..cols) (+)= A[0..R) x B over `depth` steps, B's rows `ldb`
/// apart (a panel's kCols, or a matrix read in place): R x V accumulators
/// in registers (V vectors cover the columns: a narrow last panel issues
/// no FMAs for columns it lacks), A broadcast from its rows in place. With
/// Split (R <= 2), even and odd steps go to two accumulator sets, so that a
/// long chain of dependent FMAs does not bound a matrix-vector product.
template <int R, int V, bool Split, bool Prefetch>
DLRT_AVX512 void block(int64_t depth, const float *a, int64_t lda, const float *b, int64_t ldb,
                       float *c, int64_t ldc, int cols, Ends ends) {
  __m512 acc[R][4], odd[R][4];
  __mmask16 mask[4];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    int left = cols - 16 * j;
    mask[j] = left >= 16 ? __mmask16(0xffff) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
  }
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j) {
      acc[i][j] = ends.load ? _mm512_maskz_loadu_ps(mask[j], c + i * ldc + 16 * j)
                            : _mm512_setzero_ps();
      odd[i][j] = _mm512_setzero_ps();
    }
  int64_t k = 0;
  if constexpr (Split)
    for (; k + 1 < depth; k += 2) {
      step<R, V, Prefetch>(acc, a, lda, b, ldb, mask, k);
      step<R, V, Prefetch>(odd, a, lda, b, ldb, mask, k + 1);
    }
  for (; k < depth; ++k)
    step<R, V, Prefetch>(acc, a, lda, b, ldb, mask, k);
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 6
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < V; ++j) {
      __m512 x = acc[i][j];
      if constexpr (Split)
        x = _mm512_add_ps(x, odd[i][j]);
      if (ends.bias)
        x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mask[j], ends.bias + 16 * j));
      if (ends.relu)
        x = _mm512_maskz_max_ps(__mmask16(0xffff), x, zero); // (max_ps reads an undefined vector)
      _mm512_mask_storeu_ps(c + i * ldc + 16 * j, mask[j], x);
    }
}

using Block = void (*)(int64_t, const float *, int64_t, const float *, int64_t, float *, int64_t,
                       int, Ends);
/// The blocks of V vectors, by rows (1..kRows; R <= 2 split the depth).
template <int V, bool Prefetch> struct BlocksOf {
  static constexpr Block rows[kRows + 1] = {
      nullptr,
      block<1, V, true, Prefetch>,
      block<2, V, true, Prefetch>,
      block<3, V, false, Prefetch>,
      block<4, V, false, Prefetch>,
      block<5, V, false, Prefetch>,
      block<6, V, false, Prefetch>};
};
/// By prefetching B ahead (no, yes), vectors (1..4), rows.
constexpr const Block *kBlocks[2][5] = {
    {nullptr, BlocksOf<1, false>::rows, BlocksOf<2, false>::rows, BlocksOf<3, false>::rows,
     BlocksOf<4, false>::rows},
    {nullptr, BlocksOf<1, true>::rows, BlocksOf<2, true>::rows, BlocksOf<3, true>::rows,
     BlocksOf<4, true>::rows}};

/// One slice of the depth on one panel: C[0..m) x [0..cols) (+)= A's
/// columns [0..steps) times the panel's rows [0..steps) (`ldPanel` apart),
/// block by block of kRows rows; the first block prefetches B ahead (a
/// panel streamed from memory).
void slice(int64_t m, int64_t steps, const float *a, int64_t lda, const float *panel,
           int64_t ldPanel, int cols, float *c, int64_t ldc, Ends ends, bool prefetch) {
  const int vectors = (cols + 15) / 16;
  for (int64_t row = 0; row < m; row += kRows) {
    int rows = static_cast<int>(std::min<int64_t>(kRows, m - row));
    kBlocks[prefetch && row == 0][vectors][rows](steps, a + row * lda, lda, panel, ldPanel,
                                                 c + row * ldc, ldc, cols, ends);
  }
}

} // namespace

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

/// C = epilogue(0): a product over no depth.
void emptyProduct(const MatmulParams &p) {
  if (!p.epilogue.accumulate)
    for (int64_t i = 0; i < p.m; ++i)
      std::fill(p.c + i * p.ldc, p.c + i * p.ldc + p.n, 0.0f);
  applyEpilogue(p.epilogue, p.c, p.ldc, p.m, p.n);
}

} // namespace

void applyEpilogue(const MatmulEpilogue &e, float *c, int64_t ldc, int64_t rows, int64_t cols) {
  if (!e.bias && !e.relu)
    return;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      float &x = c[i * ldc + j];
      float v = x + (e.bias ? e.bias[j] : 0.0f);
      x = e.relu ? std::max(v, 0.0f) : v;
    }
}

bool hasGemmKernel() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

bool gemmUkernel(const MatmulParams &p) {
  if (p.m <= 0 || p.n <= 0)
    return true;
  if (p.packed && (p.packedColumn % kCols != 0 || p.packedColumn < 0 ||
                   p.packedColumn + p.n > p.packed->n() || p.depth != p.packed->depth()))
    return false;
  if (p.depth <= 0) {
    emptyProduct(p);
    return true;
  }
  // Where panel q of B comes from: packed once, in place, or packed now.
  const bool inPlace = !p.packed && p.m <= kSmallRows;
  const bool streamed = p.packed || inPlace;
  const int64_t step = streamed ? kDepthStreamed : kDepthPacked;
  const int64_t ldPanel = inPlace ? p.ldb : kCols;
  float *scratch = nullptr;
  if (!streamed) {
    if (p.depth > kMaxPanelBytes / (kCols * int64_t(sizeof(float))))
      return false;
    if (!(scratch = panelBuffer(p.depth * kCols)))
      return false;
  }
  const int64_t panels = (p.n + kCols - 1) / kCols;
  for (int64_t q = 0; q < panels; ++q) {
    int64_t col0 = q * kCols;
    int cols = static_cast<int>(std::min<int64_t>(kCols, p.n - col0));
    const float *panel;
    if (p.packed) {
      panel = p.packed->panel(p.packedColumn / kCols + q);
    } else if (inPlace) {
      panel = p.b + col0;
    } else {
      packPanel(p.n, p.depth, p.b, p.ldb, 1, col0, scratch);
      panel = scratch;
    }
    for (int64_t k0 = 0; k0 < p.depth; k0 += step) {
      int64_t steps = std::min(step, p.depth - k0);
      bool last = k0 + steps == p.depth;
      Ends ends{k0 > 0 || p.epilogue.accumulate,
                last && p.epilogue.bias ? p.epilogue.bias + col0 : nullptr,
                last && p.epilogue.relu};
      slice(p.m, steps, p.a + k0, p.lda, panel + k0 * ldPanel, ldPanel, cols, p.c + col0, p.ldc,
            ends, streamed);
    }
  }
  return true;
}

void gemmPanel(int64_t m, int64_t steps, const float *a, int64_t lda, const float *panel,
               int64_t ldPanel, int cols, float *c, int64_t ldc, bool accumulate) {
  slice(m, steps, a, lda, panel, ldPanel, cols, c, ldc, Ends{accumulate, nullptr, false},
        /*prefetch=*/false);
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
  for (int64_t q = 0; q < panels; ++q)
    packPanel(n, depth, b, rowStride, colStride, q * kCols,
              packed->data_.get() + q * depth * kCols);
  return packed;
}

int64_t PackedB::bytes() const {
  return (n_ + kCols - 1) / kCols * depth_ * kCols * int64_t(sizeof(float));
}

const float *PackedB::panel(int64_t q) const { return data_.get() + q * depth_ * kCols; }

} // namespace dlrt::native
