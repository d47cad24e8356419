//===- Kernels.cpp - Index arithmetic for reference kernels --------------===//

#include "ir/ops/Kernels.h"

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

} // namespace dlc::kernels
