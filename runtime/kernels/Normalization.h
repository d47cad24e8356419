//===- Normalization.h - Reference normalization kernels -------*- C++ -*-===//
//
// batch_norm (inference), instance_norm, layer_norm and lrn with ONNX
// semantics, in double.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_NORMALIZATION_H
#define DLRT_KERNELS_NORMALIZATION_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

/// y = scale * (x - mean) / sqrt(var + epsilon) + bias, per channel (dim 1).
Status batchNorm(double epsilon, const BufferView &x, const BufferView &scale,
                 const BufferView &bias, const BufferView &mean,
                 const BufferView &var, const BufferView &out);

/// Each (n, c) plane normalized to zero mean, unit variance, then
/// scale[c] and bias[c].
Status instanceNorm(double epsilon, const BufferView &x, const BufferView &scale,
                    const BufferView &bias, const BufferView &out);

/// The dims from `axis` on normalized together; scale and bias (optional:
/// null data) broadcast to those dims.
Status layerNorm(int64_t axis, double epsilon, const BufferView &x,
                 const BufferView &scale, const BufferView &bias, const BufferView &out);

struct LrnParams {
  int64_t size{};
  double alpha{}, beta{}, bias{};
  template <typename V> void fields(V &v) { v(size)(alpha)(beta)(bias); }
};

/// x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels)^beta.
Status lrn(const LrnParams &params, const BufferView &x, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_NORMALIZATION_H
