//===- Conv.h - Reference kernels of convolution and pooling ---*- C++ -*-===//
//
// N-d convolution (grouped, dilated, padded) and max/average pooling over
// inputs laid out N, C, spatial... Floats accumulate in double.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_CONV_H
#define DLRT_KERNELS_CONV_H

#include "kernels/ElementType.h"

#include <string_view>
#include <vector>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::kernels {

/// A sliding window over the spatial dims (one entry per spatial dim).
struct Window {
  std::vector<int64_t> kernel, strides, dilations, padBegin, padEnd;
};

/// An error unless `w` has `spatial` dims and its positions (output index
/// * stride - pad + offset * dilation, each factor within its limit) cannot
/// overflow; `op` starts the message.
Status checkWindow(std::string_view op, const Window &w, size_t spatial);

struct ConvParams {
  Window window; ///< kernel = the weights' spatial dims
  int64_t group = 1;
};

/// out = conv(x, w) + bias (optional: null data). With a pool, output
/// planes run in parallel; results do not depend on the thread count.
Status conv(const ConvParams &params, const BufferView &x, const BufferView &w,
            const BufferView &bias, const BufferView &out, ThreadPool *pool = nullptr);

struct PoolParams {
  Window window;
  bool isMax = false;
  bool countIncludePad = false; ///< average pooling
  bool columnMajorIndices = false; ///< max_pool storage_order = 1
};

/// out = the window maxima or averages; for max pooling, `indices` (i64,
/// optional: null data) receives where each maximum came from.
Status pool(const PoolParams &params, const BufferView &x, const BufferView &out,
            const BufferView &indices);

/// out[n, c] = the maximum or mean of plane (n, c) of x.
Status globalPool(bool isMax, const BufferView &x, const BufferView &out);

/// The same geometry as the convolution it transposes.
using ConvTransposeParams = ConvParams;

/// The transposed convolution (the gradient of conv with respect to its
/// input) plus bias (optional: null data); out's dims are the caller's.
Status convTranspose(const ConvTransposeParams &params, const BufferView &x,
                     const BufferView &w, const BufferView &bias, const BufferView &out);

struct MaxUnpoolParams {
  std::vector<int64_t> kernel, strides, pads;
};

/// Scatters x into a zero `out` at `indices` (flat offsets into the default
/// unpooled shape, kept at the same coordinates in out).
Status maxUnpool(const MaxUnpoolParams &params, const BufferView &x,
                 const BufferView &indices, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_CONV_H
