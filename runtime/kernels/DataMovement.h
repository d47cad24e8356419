//===- DataMovement.h - Reference kernels that move elements ---*- C++ -*-===//
//
// transpose, slice, expand, concat, tile and pad: each output element is a
// bit-for-bit copy of an input element (or pad's fill value), so these run
// on element sizes, with no dispatch on the element type.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_DATAMOVEMENT_H
#define DLRT_KERNELS_DATAMOVEMENT_H

#include "kernels/ElementType.h"

#include <vector>

namespace dlrt::kernels {

/// out = x with its dims permuted: out dim d is x dim perm[d].
Status transpose(const std::vector<int64_t> &perm, const BufferView &x,
                 const BufferView &out);

struct SliceParams {
  /// Per dim of x: the first index taken and the step (normalized and
  /// clamped; out's dims say how many).
  std::vector<int64_t> first, step;
};

Status slice(const SliceParams &params, const BufferView &x, const BufferView &out);

/// out = x broadcast numpy-style to out's dims.
Status expand(const BufferView &x, const BufferView &out);

/// out = the inputs joined along `axis` (normalized).
Status concat(int64_t axis, const std::vector<BufferView> &inputs, const BufferView &out);

/// out = x repeated along each dim (out dim = x dim * repeat).
Status tile(const BufferView &x, const BufferView &out);

enum class PadMode : uint8_t { Constant, Edge, Reflect };

struct PadParams {
  PadMode mode = PadMode::Constant;
  std::vector<int64_t> begins; ///< per dim; negative crops
  template <typename V> void fields(V &v) { v(mode)(begins); }
};

/// out = x padded; `value` (one element, or null data for 0) fills in
/// constant mode. Edge or reflect padding of an empty dim is an error.
Status pad(const PadParams &params, const BufferView &x, const BufferView &value,
           const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_DATAMOVEMENT_H
