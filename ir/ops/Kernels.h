//===- Kernels.h - The interpreter's bridge to the kernel library -*- C++ -*-===//
//
// Internal to ir/ops (and to code generation, which shares the type
// mapping). Every op's reference implementation lives once, in the runtime
// (runtime/ops entry points over runtime/kernels); each op's LowerFn here
// decodes a node's attributes into its entry point's params, and
// evalLowered runs that entry point on views of the interpreter's tensors
// with results sized by inference (or counted by the entry point).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_OPS_KERNELS_H
#define DLC_IR_OPS_KERNELS_H

#include "ir/Interpreter.h"
#include "kernels/ElementType.h"
#include "ops/Ops.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace dlc::kernels {

using Shape = std::vector<int64_t>;

/// The sizes of a static type.
Shape shapeOf(const TensorType &type);
inline Shape shapeOf(const Tensor &tensor) { return shapeOf(tensor.type()); }
TensorType typeOf(DType dtype, const Shape &shape);

/// The runtime kernel library's element type for `dtype`, and back.
dlrt::kernels::ElementType elementType(DType dtype);
DType dtypeOf(dlrt::kernels::ElementType type);

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

/// Views of all of a node's operands (they live as long as this object).
class KernelOperands {
public:
  explicit KernelOperands(const EvalContext &ctx);
  std::vector<dlrt::kernels::BufferView> all() const;

private:
  std::vector<std::unique_ptr<KernelBuffer>> buffers_;
};

/// success(), or the kernel's error reported at the node.
LogicalResult checkStatus(EvalContext &ctx, const dlrt::kernels::Status &status);

} // namespace dlc::kernels

namespace dlc {

/// Runs a node whose op lowers to a runtime entry point: lowers it, sizes
/// and allocates the results, calls the entry point (as a compiled program
/// does, but with result sizes from inference on the concrete operands).
LogicalResult evalLowered(EvalContext &ctx);

/// What a LowerFn returns: entry point `entry` with `params`.
template <typename P>
LogicalResult lowerTo(dlrt::ops::LoweredOp &op, std::string_view entry, const P &params) {
  op = dlrt::ops::lowered(entry, params);
  return success();
}
inline LogicalResult lowerTo(dlrt::ops::LoweredOp &op, std::string_view entry) {
  return lowerTo(op, entry, dlrt::ops::NoParams{});
}

} // namespace dlc

#endif // DLC_IR_OPS_KERNELS_H
