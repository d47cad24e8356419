//===- Kernels.cpp - Index arithmetic for reference kernels --------------===//

#include "ir/ops/Kernels.h"

#include "ir/Check.h"

#include <cstring>

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

Shape stridesOf(const Shape &shape) {
  Shape strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

Shape broadcastStrides(const Shape &in, const Shape &out) {
  Shape own = stridesOf(in);
  Shape strides(out.size(), 0);
  size_t offset = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    strides[offset + d] = in[d] == 1 ? 0 : own[d];
  return strides;
}

int64_t offsetOf(const Shape &index, const Shape &strides) {
  int64_t offset = 0;
  for (size_t d = 0; d < index.size(); ++d)
    offset += index[d] * strides[d];
  return offset;
}

void copyElement(const Tensor &src, int64_t from, Tensor &dst, int64_t to) {
  int64_t size = dtypeSize(src.dtype());
  std::memcpy(dst.bytes().data() + to * size, src.bytes().data() + from * size,
              size);
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

KernelBuffer::KernelBuffer(const Tensor &tensor) : dims_(shapeOf(tensor)) {
  // Kernels write only output views; input views are read-only by contract.
  view_.data = const_cast<uint8_t *>(tensor.bytes().data());
  view_.type = elementType(tensor.dtype());
  view_.dims = dims_.data();
  view_.rank = static_cast<int32_t>(dims_.size());
}

LogicalResult checkStatus(EvalContext &ctx, const dlrt::kernels::Status &status) {
  if (status.isOk())
    return success();
  return ctx.error(status.message());
}

} // namespace dlc::kernels
