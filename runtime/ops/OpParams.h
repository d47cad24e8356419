//===- OpParams.h - Params of the op entry points ---------------*- C++ -*-===//
//
// The params struct of each entry point whose kernel takes loose arguments
// rather than a params struct of the kernel library. The compiler encodes
// them (ir/ops decodes nodes into them), the entry points decode them.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_OPPARAMS_H
#define DLRT_OPS_OPPARAMS_H

#include "kernels/Conv.h"
#include "kernels/Elementwise.h"
#include "kernels/Indexing.h"
#include "kernels/Reduction.h"

#include <vector>

namespace dlrt::ops {

struct BinaryParams {
  kernels::BinaryOp op = kernels::BinaryOp::Add;
  template <typename V> void fields(V &v) { v(op); }
};

/// An axis attribute, made non-negative by the entry point.
struct AxisParams {
  int64_t axis = 0;
  template <typename V> void fields(V &v) { v(axis); }
};

struct EpsilonParams {
  double epsilon = 0;
  template <typename V> void fields(V &v) { v(epsilon); }
};

struct LayerNormParams {
  int64_t axis = -1;
  double epsilon = 0;
  template <typename V> void fields(V &v) { v(axis)(epsilon); }
};

/// reduce_*: the axes attribute if there is one (else operand 1, else all).
struct ReduceOpParams {
  kernels::ReduceOp op = kernels::ReduceOp::Sum;
  bool hasAxes = false;
  std::vector<int64_t> axes;
  bool noopWithEmptyAxes = false;
  bool keepDims = true;
  template <typename V> void fields(V &v) { v(op)(hasAxes)(axes)(noopWithEmptyAxes)(keepDims); }
};

struct ReshapeParams {
  bool allowZero = false;
  template <typename V> void fields(V &v) { v(allowZero); }
};

/// squeeze, unsqueeze: the axes attribute if there is one (else operand 1).
struct AxesParams {
  bool hasAxes = false;
  std::vector<int64_t> axes;
  template <typename V> void fields(V &v) { v(hasAxes)(axes); }
};

/// transpose: the perm attribute if there is one (else the dims reversed).
struct PermParams {
  bool hasPerm = false;
  std::vector<int64_t> perm;
  template <typename V> void fields(V &v) { v(hasPerm)(perm); }
};

/// gather_elements, scatter_elements and friends: an axis and a reduction.
struct ScatterParams {
  int64_t axis = 0;
  kernels::ScatterReduction reduction = kernels::ScatterReduction::None;
  template <typename V> void fields(V &v) { v(axis)(reduction); }
};

/// compress, unique: an axis, or none (the flattened input).
struct OptionalAxisParams {
  bool flat = true;
  int64_t axis = 0;
  bool sorted = true; ///< unique
  template <typename V> void fields(V &v) { v(flat)(axis)(sorted); }
};

struct ReverseSequenceParams {
  int64_t batchAxis = 1, timeAxis = 0;
  template <typename V> void fields(V &v) { v(batchAxis)(timeAxis); }
};

/// conv, conv_transpose, pools, max_unpool: the window attributes as given
/// (empty: the defaults for the input's spatial dims).
struct WindowParams {
  std::vector<int64_t> kernel; ///< kernel_shape (conv: the weights' dims)
  std::vector<int64_t> strides, dilations, pads;
  std::vector<int64_t> outputPadding; ///< conv_transpose
  int64_t group = 1;
  bool isMax = false, countIncludePad = false, columnMajorIndices = false;
  bool ceilMode = false; ///< pools: the last partial window counts
  template <typename V> void fields(V &v) {
    v(kernel)(strides)(dilations)(pads)(outputPadding)(group)(isMax)(countIncludePad)(
        columnMajorIndices)(ceilMode);
  }
};

struct TriluParams {
  bool upper = true;
  template <typename V> void fields(V &v) { v(upper); }
};

struct DftOpParams {
  int64_t axis = 1;
  bool inverse = false, onesided = false;
  template <typename V> void fields(V &v) { v(axis)(inverse)(onesided); }
};

struct StftParams {
  bool onesided = true;
  template <typename V> void fields(V &v) { v(onesided); }
};

} // namespace dlrt::ops

#endif // DLRT_OPS_OPPARAMS_H
