//===- Generation.cpp - Reference kernels that generate tensors -----------===//

#include "kernels/Generation.h"

#include "kernels/Check.h"
#include "kernels/DataMovement.h"
#include "kernels/Dispatch.h"

#include <cstring>

namespace dlrt::kernels {

Status range(const BufferView &start, const BufferView &delta, const BufferView &out) {
  if (start.numElements() < 1 || delta.numElements() < 1)
    return Status::error("range: start or delta is empty");
  int64_t n = out.numElements();
  dispatch(out.type, [&](auto element) {
    using E = decltype(element);
    auto first = E::load(start.data, 0), step = E::load(delta.data, 0);
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (E::isFloat)
        E::store(out.data, i, first + static_cast<double>(i) * step);
      else
        E::store(out.data, i, wrapAdd(first, wrapMul(i, step)));
    }
  });
  return Status::ok();
}

Status oneHot(int64_t axis, const BufferView &indices, const BufferView &values,
              const BufferView &out) {
  if (Status status = expectElements(values, 2, "one_hot", "the values"); !status.isOk())
    return status;
  std::vector<int64_t> dims(out.dims, out.dims + out.rank);
  if (axis < 0 || axis >= out.rank)
    return Status::error("one_hot: axis " + std::to_string(axis) + " is out of range");
  dims.erase(dims.begin() + axis);
  if (Status status = expectDims(indices, dims, "one_hot", "the indices"); !status.isOk())
    return status;
  size_t size = elementSize(out.type);
  int64_t depth = out.dims[axis];
  std::vector<int64_t> idxStrides = rowMajorStrides(indices.dims, indices.rank);
  std::vector<int64_t> index(out.rank, 0);
  int64_t n = out.numElements();
  const auto *fill = static_cast<const uint8_t *>(values.data);
  auto *o = static_cast<uint8_t *>(out.data);
  dispatch(indices.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t linear = 0; linear < n; ++linear) {
      int64_t offset = 0;
      for (int32_t d = 0, j = 0; d < out.rank; ++d)
        if (d != axis)
          offset += index[d] * idxStrides[j++];
      int64_t hot = saturatingInt64(static_cast<double>(E::load(indices.data, offset)));
      if (hot < 0)
        hot += depth;
      std::memcpy(o + linear * size, fill + (hot == index[axis] ? size : 0), size);
      for (int32_t d = out.rank - 1; d >= 0; --d) {
        if (++index[d] < out.dims[d])
          break;
        index[d] = 0;
      }
    }
  });
  return Status::ok();
}

Status trilu(bool upper, int64_t k, const BufferView &x, const BufferView &out) {
  if (Status status = expectRank(x, 2, "trilu", "the input", true); !status.isOk())
    return status;
  size_t size = elementSize(x.type);
  int64_t n = x.numElements(), rows = x.dims[x.rank - 2], cols = x.dims[x.rank - 1];
  const auto *in = static_cast<const uint8_t *>(x.data);
  auto *o = static_cast<uint8_t *>(out.data);
  for (int64_t i = 0; i < n; ++i) {
    int64_t r = (i / cols) % rows, c = i % cols;
    bool keep = upper ? c - r >= k : c - r <= k;
    if (keep)
      std::memcpy(o + i * size, in + i * size, size);
    else
      std::memset(o + i * size, 0, size);
  }
  return Status::ok();
}

} // namespace dlrt::kernels
