//===- Support.h - Helpers of the op entry points ---------------*- C++ -*-===//
//
// Reading small integer operands (axes, shapes, starts) and normalizing
// axes, as the entry points derive what depends on operand values; the
// slice rule is also what the compiler's shape inference uses (one rule).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_SUPPORT_H
#define DLRT_OPS_SUPPORT_H

#include "kernels/Check.h"
#include "ops/Ops.h"

#include <string>
#include <vector>

namespace dlrt::ops {

using kernels::dimsText;
using kernels::expectDims;
using kernels::expectElements;
using kernels::expectRank;

/// The elements of an integer buffer (any integer type) as int64.
Status readInts(const BufferView &x, std::vector<int64_t> &out, const char *what);
/// One element of any numeric type as double (the first).
Status readDouble(const BufferView &x, double &out, const char *what);
/// One integer element (the first).
Status readInt(const BufferView &x, int64_t &out, const char *what);

/// axis made non-negative; an error unless -rank <= axis < max(rank, 1).
Status normalizeAxis(int64_t axis, int64_t rank, int64_t &out);
Status normalizeAxes(const std::vector<int64_t> &axes, int64_t rank,
                     std::vector<int64_t> &out);

/// The length of an ONNX slice of a dim of `size` (bounds clamped as ONNX
/// says; a negative bound counts from the end).
int64_t sliceLength(int64_t size, int64_t start, int64_t end, int64_t step);
/// The first index an ONNX slice takes.
int64_t sliceStart(int64_t size, int64_t start, int64_t step);

/// Copies x into out (same type and element count).
void copyBuffer(const BufferView &x, const BufferView &out);

/// resultDims of the ops whose one result has operand 0's dims.
Status sameDims(const OpArgs &args, std::vector<Dims> &dims);
/// resultDims of numpy-broadcasting ops: the broadcast of every operand.
Status broadcastDims(const OpArgs &args, std::vector<Dims> &dims);

/// The dims of a view.
inline Dims dimsOf(const BufferView &x) { return Dims(x.dims, x.dims + x.rank); }

} // namespace dlrt::ops

#endif // DLRT_OPS_SUPPORT_H
