//===- Conv.cpp - 2-D convolution as an implicit GEMM ---------------------===//

#include "native/Conv.h"

#include "native/Gemm.h"
#include "threading/ThreadPool.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
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
        int64_t first = iw0 + t * s.strideW;
        uint16_t inside = 0;
        for (int64_t l = 0; l < 16 && t + l < run.count; ++l) {
          int64_t iw = first + l * s.strideW;
          if (iw >= 0 && iw < s.width)
            inside |= uint16_t(1u << l);
        }
        uint32_t even = 0;
        for (int l = 0; l < 16; ++l)
          if (inside >> l & 1)
            even |= 1u << (2 * l);
        plan.pieces.push_back({static_cast<int32_t>(run.column + t),
                               static_cast<int32_t>(first), inside,
                               static_cast<uint16_t>(even), static_cast<uint16_t>(even >> 16)});
      }
    }
    plan.start.push_back(static_cast<int32_t>(plan.pieces.size()));
  }
}

#define DLRT_AVX512 __attribute__((target("avx512f")))

/// Gathers rows [k0, k0 + steps) of the panel `plan` describes into
/// `panel` (kPanelColumns apart): the lanes inside the input loaded
/// (contiguous rows with masked loads, stride 2 with two masked loads
/// and a permute of their even elements, other strides with gathers), the
/// others zero. Whole vectors are stored: a run's last vector spills into
/// the columns after it, which the next run or the next row overwrites,
/// or which lie past the panel's columns (the microkernel masks them); the
/// panel has 16 floats of slack.
DLRT_AVX512 void gatherSlice(const Conv2dShape &s, const Conv2dOperands &o, const float *x,
                             const Run *runs, const PanelPlan &plan, int64_t k0, int64_t steps,
                             float *panel) {
  const bool contiguous = s.strideW == 1 && o.colStride == 1;
  const bool strided2 = s.strideW == 2 && o.colStride == 1;
  const __m512i evens = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i offsets = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
      _mm512_set1_epi32(static_cast<int>(s.strideW * o.colStride)));
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
      if (contiguous) {
        for (int32_t p = start[r]; p < start[r + 1]; ++p) {
          const Piece &piece = pieces[p];
          _mm512_storeu_ps(to + piece.column,
                           piece.inside == 0xffff
                               ? _mm512_loadu_ps(in + piece.first)
                               : _mm512_maskz_loadu_ps(piece.inside, in + piece.first));
        }
      } else if (strided2) { // (than gathers: a 7x7 s2 stem 2.03 -> 1.67 ms)
        for (int32_t p = start[r]; p < start[r + 1]; ++p) {
          const Piece &piece = pieces[p];
          __m512 low = _mm512_maskz_loadu_ps(piece.evenLow, in + piece.first);
          __m512 high = _mm512_maskz_loadu_ps(piece.evenHigh, in + piece.first + 16);
          _mm512_storeu_ps(to + piece.column, _mm512_permutex2var_ps(low, evens, high));
        }
      } else {
        for (int32_t p = start[r]; p < start[r + 1]; ++p)
          _mm512_storeu_ps(to + pieces[p].column,
                           _mm512_mask_i32gather_ps(zero, pieces[p].inside, offsets,
                                                    in + int64_t(pieces[p].first) * o.colStride,
                                                    4));
      }
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
                   int cols, float *c, int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < m; ++i)
    for (int j = 0; j < cols; ++j) {
      float sum = accumulate ? c[i * ldc + j] : 0.0f;
      for (int64_t k = 0; k < steps; ++k)
        sum += a[i * lda + k] * panel[k * kPanelColumns + j];
      c[i * ldc + j] = sum;
    }
}

/// Output channels [begin, end) of one group: one block of a task.
struct Rows {
  int64_t group, begin, end;
};

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
      int nruns = runsOf(s, p0, cols, runs);
      if (vectorized)
        planPanel(s, runs, nruns, plan);
      const float *x = o.x + n * o.imageStride + r.group * s.channels * o.channelStride;
      const float *w = o.w + r.begin * o.ldw;
      float *c = o.c + n * o.cImageStride + (r.begin - s.channel0) * o.cChannelStride + p0;
      for (int64_t k0 = 0; k0 < depth; k0 += kSliceDepth) {
        int64_t steps = std::min(kSliceDepth, depth - k0);
        if (vectorized)
          gatherSlice(s, o, x, runs, plan, k0, steps, panel);
        else
          gatherSlicePortable(s, o, x, runs, nruns, k0, steps, panel);
        (vectorized ? gemmPanel : portablePanel)(r.end - r.begin, steps, w + k0, o.ldw, panel,
                                                 cols, c, o.cChannelStride, k0 > 0);
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
