//===- Reduce.h - Reductions over contiguous runs ---------------*- C++ -*-===//
//
// The sum or max of each of `rows` runs of `length` elements, the
// reduction of a global pool (NCHW: a run is a channel's H*W elements) or
// of a reduce over trailing dims: vector loads along the run, a masked
// last vector, one horizontal combine per row. (Generated code reduces
// along the run in vector lanes too, but a run shorter than a vector,
// 7x7 or 14x14, read with gathers there: 1280x7x7 took 200 us, 13 us here.)
//
// Like the conv ukernel it knows no Halide buffer (native/Ukernels.cpp
// decodes them) and spreads a large call over the session's pool.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_REDUCE_H
#define DLRT_NATIVE_REDUCE_H

#include <cstdint>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::native {

/// What combines a run's elements: their sum, or their max (NaN when one
/// is NaN).
enum class RunReduction : int32_t { Sum = 0, Max = 1 };

/// c[r] = the reduction of x[r * rowStride + j], j in [0, length), for r
/// in [0, rows), over `pool` (null: this thread).
void reduceRunsF32(const float *x, int64_t rows, int64_t rowStride, int64_t length,
                   RunReduction kind, float *c, ThreadPool *pool);

} // namespace dlrt::native

#endif // DLRT_NATIVE_REDUCE_H
