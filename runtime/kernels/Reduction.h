//===- Reduction.h - Reference kernels of the reduction ops ----*- C++ -*-===//
//
// reduce_{sum,mean,prod,max,min}, argmax/argmin, softmax/log_softmax and
// cumsum, with ONNX semantics. Floats accumulate in double, integers in
// int64 (wrapping; exact beyond 2^53).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_REDUCTION_H
#define DLRT_KERNELS_REDUCTION_H

#include "kernels/ElementType.h"

#include <vector>

namespace dlrt::kernels {

enum class ReduceOp : uint8_t { Sum, Mean, Prod, Max, Min };

struct ReduceParams {
  ReduceOp op{};
  /// Normalized, sorted axes of x to reduce over.
  std::vector<int64_t> axes;
  template <typename V> void fields(V &v) { v(op)(axes); }
};

/// out holds one element per kept index of x (keepdims only changes the
/// dims, not the layout). Max/min of an empty set give the type's lowest /
/// highest value (-inf / +inf for floats); a NaN wins.
Status reduce(const ReduceParams &params, const BufferView &x, const BufferView &out);

struct ArgReduceParams {
  bool isMax{};
  int64_t axis{}; ///< normalized
  bool selectLastIndex{};
  bool keepDims = true; ///< the result keeps the axis as a dim of 1
  template <typename V> void fields(V &v) { v(isMax)(axis)(selectLastIndex)(keepDims); }
};

/// out (i64) is the index of the extreme element along the axis.
Status argReduce(const ArgReduceParams &params, const BufferView &x, const BufferView &out);

struct SoftmaxParams {
  int64_t axis{}; ///< normalized (ignored for scalars)
  bool log{};
  template <typename V> void fields(V &v) { v(axis)(log); }
};

Status softmax(const SoftmaxParams &params, const BufferView &x, const BufferView &out);

struct CumSumParams {
  int64_t axis{}; ///< normalized
  bool exclusive{};
  bool reverse{};
  template <typename V> void fields(V &v) { v(axis)(exclusive)(reverse); }
};

Status cumsum(const CumSumParams &params, const BufferView &x, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_REDUCTION_H
