//===- DataMovement.cpp - Reference kernels that move elements ------------===//

#include "kernels/DataMovement.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <cstring>

namespace dlrt::kernels {

namespace {

/// Calls fn(linear, index) for every index of `dims` in row-major order.
template <typename Fn> void forEachIndex(const int64_t *dims, int32_t rank, Fn fn) {
  int64_t count = 1;
  for (int32_t d = 0; d < rank; ++d)
    count *= dims[d];
  std::vector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    fn(linear, index);
    for (int32_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < dims[d])
        break;
      index[d] = 0;
    }
  }
}

/// out[linear] = x[base + index . strides], element by element.
void gather(const BufferView &x, const BufferView &out, int64_t base,
            const std::vector<int64_t> &strides) {
  size_t size = elementSize(x.type);
  const auto *in = static_cast<const uint8_t *>(x.data);
  auto *o = static_cast<uint8_t *>(out.data);
  forEachIndex(out.dims, out.rank, [&](int64_t linear, const std::vector<int64_t> &index) {
    int64_t offset = base;
    for (int32_t d = 0; d < out.rank; ++d)
      offset += index[d] * strides[d];
    std::memcpy(o + linear * size, in + offset * size, size);
  });
}

} // namespace

Status transpose(const std::vector<int64_t> &perm, const BufferView &x,
                 const BufferView &out) {
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank), permuted, dims;
  std::vector<bool> seen(x.rank, false);
  auto notPermutation = [&] {
    return Status::error("transpose: perm is not a permutation of rank " + std::to_string(x.rank));
  };
  if (perm.size() != size_t(x.rank))
    return notPermutation();
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= x.rank || seen[axis])
      return notPermutation();
    seen[axis] = true;
    permuted.push_back(strides[axis]);
    dims.push_back(x.dims[axis]);
  }
  if (Status status = expectDims(out, dims, "transpose", "the result"); !status.isOk())
    return status;
  gather(x, out, 0, permuted);
  return Status::ok();
}

Status slice(const SliceParams &params, const BufferView &x, const BufferView &out) {
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank), stepped(x.rank);
  int64_t base = 0;
  for (int32_t d = 0; d < x.rank; ++d) {
    base += params.first[d] * strides[d];
    stepped[d] = params.step[d] * strides[d];
  }
  gather(x, out, base, stepped);
  return Status::ok();
}

Status expand(const BufferView &x, const BufferView &out) {
  std::vector<int64_t> strides(out.rank, 0), own = rowMajorStrides(x.dims, x.rank);
  for (int32_t d = 0; d < x.rank; ++d)
    strides[d + (out.rank - x.rank)] = x.dims[d] == 1 ? 0 : own[d];
  gather(x, out, 0, strides);
  return Status::ok();
}

Status concat(int64_t axis, const std::vector<BufferView> &inputs, const BufferView &out) {
  // Every input has the result's dims but along the axis; those add up.
  if (axis < 0 || axis >= out.rank)
    return Status::error("concat: axis " + std::to_string(axis) + " is out of range");
  std::vector<int64_t> dims(out.dims, out.dims + out.rank);
  int64_t total = 0;
  for (const BufferView &x : inputs) {
    dims[axis] = x.rank == out.rank ? x.dims[axis] : 0;
    if (Status status = expectDims(x, dims, "concat", "an input"); !status.isOk())
      return status;
    total += x.dims[axis];
  }
  if (total != out.dims[axis])
    return Status::error("concat: the inputs add up to " + std::to_string(total) +
                         " along the axis, the result has " + std::to_string(out.dims[axis]));
  size_t size = elementSize(out.type);
  std::vector<int64_t> outStrides = rowMajorStrides(out.dims, out.rank);
  auto *o = static_cast<uint8_t *>(out.data);
  int64_t base = 0;
  for (const BufferView &x : inputs) {
    const auto *in = static_cast<const uint8_t *>(x.data);
    forEachIndex(x.dims, x.rank, [&](int64_t linear, const std::vector<int64_t> &index) {
      int64_t offset = base * outStrides[axis];
      for (int32_t d = 0; d < x.rank; ++d)
        offset += index[d] * outStrides[d];
      std::memcpy(o + offset * size, in + linear * size, size);
    });
    base += x.dims[axis];
  }
  return Status::ok();
}

Status tile(const BufferView &x, const BufferView &out) {
  size_t size = elementSize(x.type);
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank);
  const auto *in = static_cast<const uint8_t *>(x.data);
  auto *o = static_cast<uint8_t *>(out.data);
  forEachIndex(out.dims, out.rank, [&](int64_t linear, const std::vector<int64_t> &index) {
    int64_t offset = 0;
    for (int32_t d = 0; d < x.rank; ++d)
      offset += (index[d] % x.dims[d]) * strides[d];
    std::memcpy(o + linear * size, in + offset * size, size);
  });
  return Status::ok();
}

Status pad(const PadParams &params, const BufferView &x, const BufferView &value,
           const BufferView &out) {
  if (value.data && value.numElements() < 1)
    return Status::error("pad: the constant value is empty");
  for (int32_t d = 0; d < x.rank; ++d)
    if (params.mode != PadMode::Constant && x.dims[d] == 0 && out.dims[d] > 0)
      return Status::error(std::string("cannot ") +
                           (params.mode == PadMode::Edge ? "edge" : "reflect") +
                           "-pad an empty dim");
  size_t size = elementSize(x.type);
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank);
  const auto *in = static_cast<const uint8_t *>(x.data);
  const auto *fill = static_cast<const uint8_t *>(value.data);
  auto *o = static_cast<uint8_t *>(out.data);
  forEachIndex(out.dims, out.rank, [&](int64_t linear, const std::vector<int64_t> &index) {
    int64_t offset = 0;
    bool inside = true;
    for (int32_t d = 0; d < x.rank; ++d) {
      int64_t i = index[d] - params.begins[d], n = x.dims[d];
      if (i < 0 || i >= n) {
        if (params.mode == PadMode::Edge) {
          i = std::clamp<int64_t>(i, 0, n - 1);
        } else if (params.mode == PadMode::Reflect && n > 1) {
          int64_t period = 2 * (n - 1);
          i = ((i % period) + period) % period;
          if (i >= n)
            i = period - i;
        } else if (params.mode == PadMode::Reflect) {
          i = 0;
        } else {
          inside = false;
        }
      }
      offset += i * strides[d];
    }
    if (inside)
      std::memcpy(o + linear * size, in + offset * size, size);
    else if (fill)
      std::memcpy(o + linear * size, fill, size);
    else
      std::memset(o + linear * size, 0, size);
  });
  return Status::ok();
}

} // namespace dlrt::kernels
