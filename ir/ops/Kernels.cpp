//===- Kernels.cpp - The interpreter's bridge to the kernel library ------===//

#include "ir/ops/Kernels.h"

#include "ir/Check.h"
#include "ops/Ops.h"

namespace dlc::kernels {

Shape shapeOf(const TensorType &type) {
  Shape shape;
  for (const Dim &dim : type.dims())
    shape.push_back(dim.size());
  return shape;
}

TensorType typeOf(DType dtype, const Shape &shape) {
  std::vector<Dim> dims;
  for (int64_t size : shape)
    dims.push_back(Dim(size));
  return TensorType(dtype, std::move(dims));
}

dlrt::kernels::ElementType elementType(DType dtype) {
  using dlrt::kernels::ElementType;
  switch (dtype) {
  case DType::F32: return ElementType::F32;
  case DType::F16: return ElementType::F16;
  case DType::BF16: return ElementType::BF16;
  case DType::F64: return ElementType::F64;
  case DType::I8: return ElementType::I8;
  case DType::I16: return ElementType::I16;
  case DType::I32: return ElementType::I32;
  case DType::I64: return ElementType::I64;
  case DType::U8: return ElementType::U8;
  case DType::U16: return ElementType::U16;
  case DType::U32: return ElementType::U32;
  case DType::U64: return ElementType::U64;
  case DType::Bool: return ElementType::Bool;
  }
  DLC_UNREACHABLE("bad dtype");
}

DType dtypeOf(dlrt::kernels::ElementType type) {
  // Both enums list the types in the same order (checked here).
  static_assert(static_cast<int>(dlrt::kernels::ElementType::Bool) == static_cast<int>(DType::Bool));
  DType dtype = static_cast<DType>(type);
  DLC_CHECK(elementType(dtype) == type, "element type out of range");
  return dtype;
}

KernelBuffer::KernelBuffer(const Tensor &tensor) : dims_(shapeOf(tensor)) {
  // Kernels write only output views; input views are read-only by contract.
  view_.data = const_cast<uint8_t *>(tensor.bytes().data());
  view_.type = elementType(tensor.dtype());
  view_.dims = dims_.data();
  view_.rank = static_cast<int32_t>(dims_.size());
}

KernelOperands::KernelOperands(const EvalContext &ctx) {
  for (size_t i = 0; i < ctx.numOperands(); ++i)
    buffers_.push_back(std::make_unique<KernelBuffer>(ctx.input(i)));
}

std::vector<dlrt::kernels::BufferView> KernelOperands::all() const {
  std::vector<dlrt::kernels::BufferView> views;
  for (const auto &buffer : buffers_)
    views.push_back(buffer->view());
  return views;
}

LogicalResult checkStatus(EvalContext &ctx, const dlrt::kernels::Status &status) {
  if (status.isOk())
    return success();
  return ctx.error(status.message());
}

} // namespace dlc::kernels

namespace dlc {

LogicalResult evalLowered(EvalContext &ctx) {
  dlrt::ops::LoweredOp op;
  if (failed(ctx.node().def().run.lower(ctx, op)))
    return failure();
  DLC_CHECK(op.kernel != nullptr, "lowered to an entry point that does not exist");
  kernels::KernelOperands operands(ctx);
  std::vector<dlrt::ops::BufferView> operandViews = operands.all();
  dlrt::ops::OpArgs args;
  args.params = op.params.data();
  args.paramBytes = op.params.size();
  args.operands = operandViews.data();
  args.numOperands = operandViews.size();
  args.pool = ctx.pool();
  // Result sizes decided by data come from the entry point (count), the
  // rest from inference on the concrete operands.
  std::vector<TensorType> types = ctx.inferred();
  if (op.kernel->resultDims) {
    std::vector<dlrt::ops::Dims> dims(types.size());
    if (failed(kernels::checkStatus(ctx, op.kernel->resultDims(args, dims))))
      return failure();
    DLC_CHECK(dims.size() == types.size(), "resultDims gave the wrong number of results");
    for (size_t i = 0; i < types.size(); ++i)
      types[i] = kernels::typeOf(types[i].dtype(), dims[i]);
  }
  std::vector<std::unique_ptr<kernels::KernelBuffer>> results;
  std::vector<dlrt::ops::BufferView> resultViews;
  for (const TensorType &type : types) {
    Tensor *out = ctx.addOutput(type);
    if (!out)
      return failure();
    results.push_back(std::make_unique<kernels::KernelBuffer>(*out));
    resultViews.push_back(results.back()->view());
  }
  args.results = resultViews.data();
  args.numResults = resultViews.size();
  return kernels::checkStatus(ctx, op.kernel->run(args));
}

} // namespace dlc
