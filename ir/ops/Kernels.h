//===- Kernels.h - Index arithmetic for reference kernels -----*- C++ -*-===//
//
// Internal to ir/ops: the few helpers every reference implementation needs:
// concrete shapes, row-major strides, broadcasting strides and a row-major
// walk over an index space. Element access goes through Tensor's
// getDouble/getInt/setDouble/setInt: slow, dtype-generic and obviously
// correct, which is what an oracle should be.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_OPS_KERNELS_H
#define DLC_IR_OPS_KERNELS_H

#include "ir/Interpreter.h"
#include "kernels/ElementType.h"

#include <cstdint>
#include <vector>

namespace dlc::kernels {

using Shape = std::vector<int64_t>;

/// The sizes of a static type.
Shape shapeOf(const TensorType &type);
inline Shape shapeOf(const Tensor &tensor) { return shapeOf(tensor.type()); }
TensorType typeOf(DType dtype, const Shape &shape);

/// Row-major strides of `shape`.
Shape stridesOf(const Shape &shape);
/// Strides that read a tensor of shape `in` broadcast to `out` (numpy
/// rules; 0 along broadcast dims), with `out`'s rank.
Shape broadcastStrides(const Shape &in, const Shape &out);
/// Dot product of an index with strides.
int64_t offsetOf(const Shape &index, const Shape &strides);

/// Calls fn(index) for every index of `shape` in row-major order.
template <typename Fn> void forEachIndex(const Shape &shape, Fn &&fn) {
  for (int64_t size : shape)
    if (size == 0)
      return;
  Shape index(shape.size(), 0);
  while (true) {
    fn(static_cast<const Shape &>(index));
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

/// Whether elementwise math on this dtype runs in double or in int64.
inline bool floatMath(DType dtype) { return isFloat(dtype); }

/// Copies element `from` of `src` into element `to` of `dst` (same dtype),
/// bit for bit.
void copyElement(const Tensor &src, int64_t from, Tensor &dst, int64_t to);

/// The runtime kernel library's element type for `dtype`.
dlrt::kernels::ElementType elementType(DType dtype);

/// A tensor as the runtime's kernel library sees it (the view points into
/// the tensor and into this object, which must outlive the call). Input
/// views are only read by kernels.
class KernelBuffer {
public:
  explicit KernelBuffer(const Tensor &tensor);
  KernelBuffer(const KernelBuffer &) = delete;
  KernelBuffer &operator=(const KernelBuffer &) = delete;
  const dlrt::kernels::BufferView &view() const { return view_; }

private:
  Shape dims_;
  dlrt::kernels::BufferView view_;
};

/// success(), or the kernel's error reported at the node.
LogicalResult checkStatus(EvalContext &ctx, const dlrt::kernels::Status &status);

} // namespace dlc::kernels

#endif // DLC_IR_OPS_KERNELS_H
