//===- Conv.cpp - 2-D convolution as an implicit GEMM ---------------------===//

#include "native/Conv.h"

#include "native/Gemm.h"
#include "threading/ThreadPool.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <utility>
#include <vector>

namespace dlrt::native {

namespace {

/// Depth rows of the panel gathered per step: 256 x 64 floats (64 KiB)
/// stay in L2 while every block of output channels reads them (as the
/// GEMM's per-call panels: native/Gemm.cpp).
constexpr int64_t kSliceDepth = 256;
/// Output channels per block of the microkernel (its rows).
constexpr int64_t kBlockRows = 6;

/// Output positions of one panel along one output row: `count` positions
/// from (row, col0), panel columns from `column`.
struct Run {
  int64_t row, col0, count, column;
};

/// The runs of panel positions [p0, p0 + cols) of the shape's region
/// (row-major over outHeight x outWidth).
int runsOf(const Conv2dShape &s, int64_t p0, int64_t cols, Run *runs) {
  int n = 0;
  for (int64_t p = p0, column = 0; column < cols; ++n) {
    int64_t row = p / s.outWidth, col = p % s.outWidth;
    int64_t count = std::min(s.outWidth - col, cols - column);
    runs[n] = {s.outRow0 + row, s.outCol0 + col, count, column};
    p += count, column += count;
  }
  return n;
}

/// Input coordinates of panel rows: patch row k = (c*kh + i)*kw + j reads
/// channel c of `x` (one image, one group) at (row*strideH - padTop +
/// i*dilationH, col*strideW - padLeft + j*dilationW), zero outside.
struct Tap {
  const float *channel;
  int64_t i, j;
};
Tap tapOf(const Conv2dShape &s, const Conv2dOperands &o, const float *x, int64_t k) {
  const int64_t taps = s.kernelH * s.kernelW, tap = k % taps;
  return {x + k / taps * o.channelStride, tap / s.kernelW, tap % s.kernelW};
}

/// A panel's positions by kernel column j: for each run (in order), its
/// vectors of up to 16 positions, each with the input column its lane 0
/// reads (relative to column 0 of the row) and the lanes that lie inside
/// the input (and in the run). Built once per panel; every panel row
/// of that kernel column reads it (only the row and channel change).
struct Piece {
  int32_t column, first;
  uint16_t inside;
  /// For stride 2: the elements read of the 32 from `first` (those of the
  /// lanes inside, the even ones), in two 16-element halves.
  uint16_t evenLow, evenHigh;
  /// Every element a load of the piece touches lies inside the row (for
  /// stride 2, all 32 from `first`): loads without masks. (A masked load
  /// that crosses a cache line runs at half the rate of a plain one on
  /// AMD's Zen 5, and most of a row's loads cross one.)
  bool whole;
};
struct PanelPlan {
  std::vector<Piece> pieces;
  std::vector<int32_t> start; ///< [j * (nruns + 1) + r]: run r's first piece under column j
  int nruns = 0;
};

void planPanel(const Conv2dShape &s, const Run *runs, int nruns, PanelPlan &plan) {
  plan.nruns = nruns;
  plan.pieces.clear();
  plan.start.clear();
  for (int64_t j = 0; j < s.kernelW; ++j) {
    for (int r = 0; r < nruns; ++r) {
      plan.start.push_back(static_cast<int32_t>(plan.pieces.size()));
      const Run &run = runs[r];
      int64_t iw0 = run.col0 * s.strideW - s.padLeft + j * s.dilationW;
      for (int64_t t = 0; t < run.count; t += 16) {
        // The lanes inside are a range [lo, hi): lane l reads column
        // first + l*stride. (Computed, not tested lane by lane: the plan is
        // made per panel, and the loops were 14% of a 3x3 s2 stem.)
        int64_t first = iw0 + t * s.strideW;
        int64_t lo = first >= 0 ? 0 : (-first + s.strideW - 1) / s.strideW;
        int64_t hi = first >= s.width ? 0 : (s.width - 1 - first) / s.strideW + 1;
        hi = std::min<int64_t>({hi, 16, run.count - t});
        lo = std::min(lo, hi);
        auto bits = [](int64_t n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; };
        uint16_t inside = static_cast<uint16_t>(bits(hi) & ~bits(lo));
        // (Stride 2: lane l's element is 2l of the 32 loaded.)
        uint32_t even = static_cast<uint32_t>(bits(2 * hi) & ~bits(2 * lo) & 0x55555555u);
        bool whole = inside == 0xffff && (s.strideW != 2 || first + 32 <= s.width);
        plan.pieces.push_back({static_cast<int32_t>(run.column + t),
                               static_cast<int32_t>(first), inside,
                               static_cast<uint16_t>(even), static_cast<uint16_t>(even >> 16),
                               whole});
      }
    }
    plan.start.push_back(static_cast<int32_t>(plan.pieces.size()));
  }
}

#define DLRT_AVX512 __attribute__((target("avx512f")))

/// How a piece's lanes are read: contiguous columns (masked loads),
/// stride 2 (two masked loads and a permute of their even elements: than
/// gathers, a 7x7 s2 stem 2.03 -> 1.67 ms), other strides (gathers); the
/// lanes outside the input zero.
enum class Load { Contiguous, Stride2, Gather };

template <Load kind>
DLRT_AVX512 inline __m512 loadPiece(const Piece &p, const float *in, __m512i offsets,
                                    int64_t colStride) {
  if constexpr (kind == Load::Contiguous) {
    return p.whole ? _mm512_loadu_ps(in + p.first) : _mm512_maskz_loadu_ps(p.inside, in + p.first);
  } else if constexpr (kind == Load::Stride2) {
    const __m512i evens =
        _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    if (p.whole)
      return _mm512_permutex2var_ps(_mm512_loadu_ps(in + p.first), evens,
                                    _mm512_loadu_ps(in + p.first + 16));
    __m512 low = _mm512_maskz_loadu_ps(p.evenLow, in + p.first);
    __m512 high = _mm512_maskz_loadu_ps(p.evenHigh, in + p.first + 16);
    return _mm512_permutex2var_ps(low, evens, high);
  } else {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), p.inside, offsets,
                                    in + int64_t(p.first) * colStride, 4);
  }
}

/// How `s` reads its input's rows.
Load loadOf(const Conv2dShape &s, const Conv2dOperands &o) {
  if (o.colStride == 1 && s.strideW <= 2)
    return s.strideW == 1 ? Load::Contiguous : Load::Stride2;
  return Load::Gather;
}

/// The gather's lane offsets (elements) for Load::Gather.
DLRT_AVX512 inline __m512i gatherOffsets(const Conv2dShape &s, const Conv2dOperands &o) {
  return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                            _mm512_set1_epi32(static_cast<int>(s.strideW * o.colStride)));
}

/// Gathers rows [k0, k0 + steps) of the panel `plan` describes into
/// `panel` (kPanelColumns apart), read as `kind` says. Whole vectors are stored: a run's last vector spills into
/// the columns after it, which the next run or the next row overwrites,
/// or which lie past the panel's columns (the microkernel masks them); the
/// panel has 16 floats of slack.
template <Load kind>
DLRT_AVX512 void gatherSlice(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                             const Run *runs, const PanelPlan &plan, int64_t k0, int64_t steps,
                             float *panel) {
  const __m512i offsets = gatherOffsets(s, o);
  const __m512 zero = _mm512_setzero_ps();
  const Piece *pieces = plan.pieces.data();
  for (int64_t k = k0; k < k0 + steps; ++k) {
    Tap tap = tapOf(s, o, x, k);
    float *to = panel + (k - k0) * kPanelColumns;
    const int32_t *start = plan.start.data() + tap.j * (plan.nruns + 1);
    for (int r = 0; r < plan.nruns; ++r) {
      int64_t ih = runs[r].row * s.strideH - s.padTop + tap.i * s.dilationH;
      if (ih < 0 || ih >= s.height) {
        for (int32_t p = start[r]; p < start[r + 1]; ++p)
          _mm512_storeu_ps(to + pieces[p].column, zero);
        continue;
      }
      const float *in = tap.channel + ih * o.rowStride;
      for (int32_t p = start[r]; p < start[r + 1]; ++p)
        _mm512_storeu_ps(to + pieces[p].column, loadPiece<kind>(pieces[p], in, offsets, o.colStride));
    }
  }
}

/// gatherSlice without AVX-512, one position at a time.
void gatherSlicePortable(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                         const Run *runs, int nruns, int64_t k0, int64_t steps, float *panel) {
  for (int64_t k = k0; k < k0 + steps; ++k) {
    Tap tap = tapOf(s, o, x, k);
    float *to = panel + (k - k0) * kPanelColumns;
    for (int r = 0; r < nruns; ++r) {
      const Run &run = runs[r];
      int64_t ih = run.row * s.strideH - s.padTop + tap.i * s.dilationH;
      int64_t iw0 = run.col0 * s.strideW - s.padLeft + tap.j * s.dilationW;
      for (int64_t t = 0; t < run.count; ++t) {
        int64_t iw = iw0 + t * s.strideW;
        bool inside = ih >= 0 && ih < s.height && iw >= 0 && iw < s.width;
        to[run.column + t] = inside ? tap.channel[ih * o.rowStride + iw * o.colStride] : 0.0f;
      }
    }
  }
}

/// c (+)= a x panel without the microkernel (a CPU without AVX-512).
void portablePanel(int64_t m, int64_t steps, const float *a, int64_t lda, const float *panel,
                   int64_t ldPanel, int cols, float *c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i)
    for (int j = 0; j < cols; ++j) {
      float sum = accumulate ? c[i * ldc + j] : 0.0f;
      for (int64_t k = 0; k < steps; ++k)
        sum += a[i * lda + k] * panel[k * ldPanel + j];
      c[i * ldc + j] = sum;
    }
}

/// Output channels [begin, end) of one group: one block of a task.
struct Rows {
  int64_t group, begin, end;
};

/// Depthwise convolutions (one input channel per group, any multiplier):
/// per output channel, blocks of R output rows x V vectors of a row (R x
/// V accumulators, 8 to 16: enough independent chains to hide the FMA's
/// latency behind its throughput), each tap a broadcast weight times the
/// input row's vector of that kernel column: the panel plan's pieces,
/// whose column and mask every row of the block shares (masked loads;
/// stride 2's even elements; gathers otherwise); rows that leave the input
/// skipped. The input is read in place, with no padded copy, and each
/// output element written once.
constexpr int kDepthwiseVectors = 8;

/// f(std::integral_constant<int, v>()) for v = 0..V-1, unrolled: arrays of
/// vectors indexed by constants stay in registers.
template <int V, class F> inline void unrolled(F &&f) {
  [&]<int... v>(std::integer_sequence<int, v...>) {
    (f(std::integral_constant<int, v>()), ...);
  }(std::make_integer_sequence<int, V>());
}

/// Rows per block for blocks of V vectors.
constexpr int depthwiseRowsFor(int V) { return V == 1 || V == 2 ? 8 : V <= 4 ? 4 : 2; }

/// f(std::integral_constant<int, V>()) for V = n, 1 <= n <= kDepthwiseVectors:
/// a block's vector count as a constant (its accumulators in registers).
template <class F> void withVectors(int64_t n, F &&f) {
  switch (n) {
  case 1: f(std::integral_constant<int, 1>()); break;
  case 2: f(std::integral_constant<int, 2>()); break;
  case 3: f(std::integral_constant<int, 3>()); break;
  case 4: f(std::integral_constant<int, 4>()); break;
  case 5: f(std::integral_constant<int, 5>()); break;
  case 6: f(std::integral_constant<int, 6>()); break;
  case 7: f(std::integral_constant<int, 7>()); break;
  case 8: f(std::integral_constant<int, 8>()); break;
  }
}

/// Output rows [oh, oh + rows) (rows <= R), vectors [v0, v0 + V) of one
/// channel.
template <int V, int R, Load kind>
DLRT_AVX512 void depthwiseBlock(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                    const float *w, const Piece *pieces, int64_t perColumn, int64_t oh,
                    int64_t rows, int64_t v0, float *c) {
  const __m512i offsets = gatherOffsets(s, o);
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_ps();
  for (int64_t i = 0; i < s.kernelH; ++i) {
    const float *in[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      int64_t ih = (oh + r) * s.strideH - s.padTop + i * s.dilationH;
      in[r] = r < rows && ih >= 0 && ih < s.height ? x + ih * o.rowStride : nullptr;
    }
    for (int64_t j = 0; j < s.kernelW; ++j) {
      const __m512 weight = _mm512_set1_ps(w[i * s.kernelW + j]);
      // (The pieces copied once for the block's rows: read through the
      // pointer, they were read again for every row.)
      Piece p[V];
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v)
        p[v] = pieces[j * perColumn + v0 + v];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        if (in[r]) {
#pragma GCC unroll 8
          for (int v = 0; v < V; ++v)
            acc[r][v] = _mm512_fmadd_ps(loadPiece<kind>(p[v], in[r], offsets, o.colStride), weight,
                                        acc[r][v]);
        }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    if (r < rows) {
#pragma GCC unroll 8
      for (int v = 0; v < V; ++v) {
        int64_t column = pieces[v0 + v].column, count = s.outWidth - column;
        float *to = c + (oh + r - s.outRow0) * s.outWidth + column;
        // (Masked stores only where needed: on AMD's Zen they cost ~10x a
        // store, and this kernel stores every output element once.)
        if (count >= 16)
          _mm512_storeu_ps(to, acc[r][v]);
        else
          _mm512_mask_storeu_ps(to, static_cast<__mmask16>((1u << count) - 1), acc[r][v]);
      }
    }
}

/// The region's rows of one channel, blocks of up to kDepthwiseVectors
/// vectors.
template <Load kind>
void depthwiseRows(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                   const float *w, const PanelPlan &plan, float *c) {
  const int64_t perColumn = plan.start[1] - plan.start[0];
  const Piece *pieces = plan.pieces.data();
  for (int64_t v0 = 0; v0 < perColumn; v0 += kDepthwiseVectors)
    withVectors(std::min<int64_t>(kDepthwiseVectors, perColumn - v0), [&](auto vectors) {
      constexpr int V = decltype(vectors)::value, R = depthwiseRowsFor(V);
      for (int64_t r = 0; r < s.outHeight; r += R)
        depthwiseBlock<V, R, kind>(s, o, x, w, pieces, perColumn, s.outRow0 + r,
                                   std::min<int64_t>(R, s.outHeight - r), v0, c);
    });
}

/// Narrow planes (rows of one vector or less, stride 1, the output as wide
/// as the input, dense rows) are computed flat: 16 consecutive positions
/// of the plane per vector, across rows, so that a 14-wide row wastes no
/// lanes and its stores need no masks (a 3x3 384ch 14^2 layer 48 -> 36 us,
/// 5x5 960ch 7^2 122 -> 68 us; at 28^2, two vectors a row, no gain). Tap t reads the input at the position
/// plus a constant offset (the plane's rows are as long as the output's),
/// under a mask per (tap, vector) of the lanes whose window position lies
/// inside the input: one plan per call, shared by every channel.
struct FlatPlan {
  int64_t positions = 0, vectors = 0;
  std::vector<int32_t> offsets;  ///< per tap (i * kernelW + j)
  std::vector<uint16_t> masks;   ///< [tap * vectors + vector]
  int64_t lowest = 0, highest = 0; ///< the span read around a position
};

bool flatEligible(const Conv2dShape &s, const Conv2dOperands &o) {
  return s.strideH == 1 && s.strideW == 1 && o.colStride == 1 && o.rowStride == s.width &&
         s.outCol0 == 0 && s.outWidth == s.width && s.width <= 16;
}

void planFlat(const Conv2dShape &s, FlatPlan &plan) {
  plan.positions = s.outHeight * s.outWidth;
  plan.vectors = (plan.positions + 15) / 16;
  const int64_t taps = s.kernelH * s.kernelW;
  plan.offsets.resize(taps);
  plan.masks.assign(taps * plan.vectors, 0);
  plan.lowest = plan.highest = 0;
  for (int64_t i = 0; i < s.kernelH; ++i)
    for (int64_t j = 0; j < s.kernelW; ++j) {
      const int64_t t = i * s.kernelW + j;
      const int64_t di = i * s.dilationH - s.padTop, dj = j * s.dilationW - s.padLeft;
      plan.offsets[t] = static_cast<int32_t>(di * s.width + dj);
      plan.lowest = std::min<int64_t>(plan.lowest, plan.offsets[t]);
      plan.highest = std::max<int64_t>(plan.highest, plan.offsets[t]);
      // (Rows and columns counted, not divided: the plan is made per call.)
      for (int64_t p = 0, row = 0, col = 0; p < plan.positions; ++p) {
        int64_t ih = s.outRow0 + row + di, iw = col + dj;
        if (ih >= 0 && ih < s.height && iw >= 0 && iw < s.width)
          plan.masks[t * plan.vectors + p / 16] |= uint16_t(1u << (p % 16));
        if (++col == s.outWidth)
          col = 0, ++row;
      }
    }
}

/// Vectors [q0, q0 + V) of a flat plane; `in` is the input at the region's
/// first position. `unmasked`: every load of the block may read past the
/// lanes it uses (inside the input's buffer), so it loads without a mask
/// and masks the FMA (a masked load that crosses a cache line is slow).
template <int V, bool unmasked>
DLRT_AVX512 void depthwiseFlatBlock(const FlatPlan &plan, int64_t taps, const float *in, const float *w,
                        int64_t q0, float *c) {
  __m512 acc[V];
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v)
    acc[v] = _mm512_setzero_ps();
  for (int64_t t = 0; t < taps; ++t) {
    const __m512 weight = _mm512_set1_ps(w[t]);
    const float *a = in + q0 * 16 + plan.offsets[t];
    const uint16_t *mask = plan.masks.data() + t * plan.vectors + q0;
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      if constexpr (unmasked)
        acc[v] = _mm512_mask3_fmadd_ps(_mm512_loadu_ps(a + 16 * v), weight, acc[v], mask[v]);
      else
        acc[v] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask[v], a + 16 * v), weight, acc[v]);
    }
  }
#pragma GCC unroll 8
  for (int v = 0; v < V; ++v) {
    int64_t p = (q0 + v) * 16, count = plan.positions - p;
    if (count >= 16)
      _mm512_storeu_ps(c + p, acc[v]);
    else
      _mm512_mask_storeu_ps(c + p, static_cast<__mmask16>((1u << count) - 1), acc[v]);
  }
}

/// One channel's region of a flat plane; [lo, hi) the input buffer's span.
void depthwiseFlat(const Conv2dShape &s, const FlatPlan &plan, const float *x, const float *w,
                   const float *lo, const float *hi, float *c) {
  const int64_t taps = s.kernelH * s.kernelW;
  const float *in = x + s.outRow0 * s.width;
  // (Reads reach from `lowest` before the first position to `highest` +
  // 16 past the last vector's first.)
  const bool unmasked =
      in + plan.lowest >= lo && in + (plan.vectors - 1) * 16 + plan.highest + 16 <= hi;
  for (int64_t q0 = 0; q0 < plan.vectors; q0 += kDepthwiseVectors)
    withVectors(std::min<int64_t>(kDepthwiseVectors, plan.vectors - q0), [&](auto vectors) {
      constexpr int V = decltype(vectors)::value;
      if (unmasked)
        depthwiseFlatBlock<V, true>(plan, taps, in, w, q0, c);
      else
        depthwiseFlatBlock<V, false>(plan, taps, in, w, q0, c);
    });
}

/// depthwiseRows without AVX-512.
void depthwiseRowsPortable(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                           const float *w, float *c) {
  for (int64_t r = 0; r < s.outHeight; ++r)
    for (int64_t q = 0; q < s.outWidth; ++q) {
      float sum = 0;
      for (int64_t i = 0; i < s.kernelH; ++i) {
        int64_t ih = (s.outRow0 + r) * s.strideH - s.padTop + i * s.dilationH;
        for (int64_t j = 0; ih >= 0 && ih < s.height && j < s.kernelW; ++j) {
          int64_t iw = (s.outCol0 + q) * s.strideW - s.padLeft + j * s.dilationW;
          if (iw >= 0 && iw < s.width)
            sum += w[i * s.kernelW + j] * x[ih * o.rowStride + iw * o.colStride];
        }
      }
      c[r * s.outWidth + q] = sum;
    }
}

/// A depthwise convolution's region: one task per (image, output channel).
void depthwise(const Conv2dShape &s, const Conv2dOperands &o, ThreadPool *pool) {
  const int64_t perGroup = s.outChannels / s.groups;
  const bool vectorized = hasGemmKernel();
  PanelPlan plan;
  Run run{0, s.outCol0, s.outWidth, 0};
  if (vectorized)
    planPanel(s, &run, 1, plan);
  const Load load = loadOf(s, o);
  const bool flat = vectorized && flatEligible(s, o);
  FlatPlan flatPlan;
  if (flat)
    planFlat(s, flatPlan);
  // The input's span (the adapter checked that its buffer holds it).
  const float *lo = o.x,
              *hi = o.x + (s.images - 1) * o.imageStride +
                    (s.groups * s.channels - 1) * o.channelStride + (s.height - 1) * o.rowStride +
                    s.width;
  auto body = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t m = s.channel0 + task % s.channelCount, n = task / s.channelCount;
      const float *x = o.x + n * o.imageStride + m / perGroup * o.channelStride;
      const float *w = o.w + m * o.ldw;
      float *c = o.c + n * o.cImageStride + (m - s.channel0) * o.cChannelStride;
      if (!vectorized)
        depthwiseRowsPortable(s, o, x, w, c);
      else if (flat)
        depthwiseFlat(s, flatPlan, x, w, lo, hi, c);
      else if (load == Load::Contiguous)
        depthwiseRows<Load::Contiguous>(s, o, x, w, plan, c);
      else if (load == Load::Stride2)
        depthwiseRows<Load::Stride2>(s, o, x, w, plan, c);
      else
        depthwiseRows<Load::Gather>(s, o, x, w, plan, c);
    }
  };
  const int64_t tasks = s.images * s.channelCount;
  int threads = pool ? pool->threads() : 1;
  if (tasks * s.outHeight * s.outWidth * s.kernelH * s.kernelW < kParallelWork)
    threads = 1;
  if (threads > 1 && tasks > 1)
    pool->parallelFor(tasks, (tasks + threads - 1) / threads, body);
  else
    body(0, tasks);
}

} // namespace

bool conv2dF32(const Conv2dShape &s, const Conv2dOperands &o, ThreadPool *pool,
               std::string &error) {
  if (s.images <= 0 || s.channelCount <= 0 || s.outHeight <= 0 || s.outWidth <= 0)
    return true;
  if (s.groups <= 0 || s.outChannels % s.groups != 0 || s.channels <= 0 || s.kernelH <= 0 ||
      s.kernelW <= 0 || s.strideH <= 0 || s.strideW <= 0 || s.dilationH <= 0 ||
      s.dilationW <= 0 || s.channel0 < 0 || s.channel0 + s.channelCount > s.outChannels) {
    error = "a convolution of an unexpected shape";
    return false;
  }
  // Columns are computed in 32-bit lanes.
  const int64_t reach = (std::abs(s.outCol0) + s.outWidth) * s.strideW + std::abs(s.padLeft) +
                        s.dilationW * s.kernelW + s.width;
  if (reach >= INT32_MAX / 2 || std::abs(o.colStride) * s.strideW * 16 >= INT32_MAX / 2) {
    error = "a convolution too wide for its kernel";
    return false;
  }
  const int64_t depth = s.channels * s.kernelH * s.kernelW;
  if (o.ldw < depth) {
    error = "convolution weights that overlap";
    return false;
  }
  if (s.channels == 1 && s.groups > 1) {
    depthwise(s, o, pool);
    return true;
  }
  // Row blocks: the region's channels cut at group boundaries, then into
  // chunks so that every thread has work.
  const int64_t perGroup = s.outChannels / s.groups;
  const int64_t positions = s.outHeight * s.outWidth;
  const int64_t panels = (positions + kPanelColumns - 1) / kPanelColumns;
  int threads = pool ? pool->threads() : 1;
  if (s.images * s.channelCount * positions * depth < kParallelWork)
    threads = 1;
  std::vector<Rows> rows;
  for (int64_t m = s.channel0; m < s.channel0 + s.channelCount;) {
    int64_t group = m / perGroup,
            end = std::min((group + 1) * perGroup, s.channel0 + s.channelCount);
    rows.push_back({group, m, end});
    m = end;
  }
  int64_t units = s.images * panels * static_cast<int64_t>(rows.size());
  if (units < threads) {
    int64_t chunks = (threads + units - 1) / units;
    std::vector<Rows> split;
    for (const Rows &r : rows) {
      int64_t blocks = (r.end - r.begin + kBlockRows - 1) / kBlockRows;
      int64_t per = (blocks + chunks - 1) / chunks * kBlockRows;
      for (int64_t m = r.begin; m < r.end; m += per)
        split.push_back({r.group, m, std::min(m + per, r.end)});
    }
    rows = std::move(split);
  }
  const int64_t tasks = s.images * panels * static_cast<int64_t>(rows.size());
  const bool vectorized = hasGemmKernel();
  const Load load = loadOf(s, o);
  // A 1x1 convolution of stride 1 over dense planes, its region whole rows
  // inside the input: the positions are the input's own columns, read in
  // place as the panels (no copy).
  const bool direct = s.kernelH == 1 && s.kernelW == 1 && s.strideH == 1 && s.strideW == 1 &&
                      s.padTop == 0 && s.padLeft == 0 && o.colStride == 1 &&
                      o.rowStride == s.width && s.outCol0 == 0 && s.outWidth == s.width &&
                      s.outRow0 >= 0 && s.outRow0 + s.outHeight <= s.height;
  std::atomic<bool> ok{true};
  auto run = [&](int64_t begin, int64_t end) {
    float *panel = panelBuffer(kSliceDepth * kPanelColumns + 16);
    if (!panel) {
      ok = false;
      return;
    }
    Run runs[kPanelColumns];
    PanelPlan plan;
    for (int64_t task = begin; task < end; ++task) {
      // Row blocks innermost: consecutive tasks read the same input positions.
      const Rows &r = rows[task % rows.size()];
      int64_t q = task / rows.size() % panels, n = task / rows.size() / panels;
      int64_t p0 = q * kPanelColumns;
      int cols = static_cast<int>(std::min(kPanelColumns, positions - p0));
      int nruns = direct ? 0 : runsOf(s, p0, cols, runs);
      if (vectorized && !direct)
        planPanel(s, runs, nruns, plan);
      const float *x = o.x + n * o.imageStride + r.group * s.channels * o.channelStride;
      const float *w = o.w + r.begin * o.ldw;
      float *c = o.c + n * o.cImageStride + (r.begin - s.channel0) * o.cChannelStride + p0;
      for (int64_t k0 = 0; k0 < depth; k0 += kSliceDepth) {
        int64_t steps = std::min(kSliceDepth, depth - k0);
        if (direct) { // (the input's channels are the panel's rows)
          (vectorized ? gemmPanel : portablePanel)(
              r.end - r.begin, steps, w + k0, o.ldw,
              x + k0 * o.channelStride + s.outRow0 * s.width + p0, o.channelStride, cols, c,
              o.cChannelStride, k0 > 0);
          continue;
        }
        if (!vectorized)
          gatherSlicePortable(s, o, x, runs, nruns, k0, steps, panel);
        else if (load == Load::Contiguous)
          gatherSlice<Load::Contiguous>(s, o, x, runs, plan, k0, steps, panel);
        else if (load == Load::Stride2)
          gatherSlice<Load::Stride2>(s, o, x, runs, plan, k0, steps, panel);
        else
          gatherSlice<Load::Gather>(s, o, x, runs, plan, k0, steps, panel);
        (vectorized ? gemmPanel : portablePanel)(r.end - r.begin, steps, w + k0, o.ldw, panel,
                                                 kPanelColumns, cols, c, o.cChannelStride,
                                                 k0 > 0);
      }
    }
  };
  if (threads > 1 && tasks > 1)
    pool->parallelFor(tasks, (tasks + threads - 1) / threads, run);
  else
    run(0, tasks);
  if (!ok)
    error = "no memory for a convolution's panel";
  return ok.load();
}

} // namespace dlrt::native
