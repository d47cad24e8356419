//===- Support.cpp - Helpers of the op entry points -----------------------===//

#include "ops/Support.h"

#include "kernels/Dispatch.h"

#include <algorithm>
#include <cstring>

namespace dlrt::ops {

Status readInts(const BufferView &x, std::vector<int64_t> &out, const char *what) {
  if (kernels::isFloatType(x.type) || x.type == kernels::ElementType::Bool)
    return Status::error(std::string(what) + " must be integers");
  out.resize(static_cast<size_t>(x.numElements()));
  kernels::dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (!E::isFloat)
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<int64_t>(E::load(x.data, static_cast<int64_t>(i)));
  });
  return Status::ok();
}

Status readInt(const BufferView &x, int64_t &out, const char *what) {
  std::vector<int64_t> values;
  Status status = readInts(x, values, what);
  if (!status.isOk())
    return status;
  if (values.empty())
    return Status::error(std::string(what) + " is empty");
  out = values[0];
  return Status::ok();
}

Status readDouble(const BufferView &x, double &out, const char *what) {
  if (x.numElements() < 1)
    return Status::error(std::string(what) + " is empty");
  BufferView first = x;
  first.rank = 0; // one element
  out = kernels::loadAsDouble(first)[0];
  return Status::ok();
}

Status normalizeAxis(int64_t axis, int64_t rank, int64_t &out) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return Status::error("axis " + std::to_string(axis) + " is out of range for rank " +
                         std::to_string(rank));
  out = axis < 0 ? axis + rank : axis;
  return Status::ok();
}

Status normalizeAxes(const std::vector<int64_t> &axes, int64_t rank,
                     std::vector<int64_t> &out) {
  out.clear();
  for (int64_t axis : axes) {
    int64_t normalized;
    Status status = normalizeAxis(axis, rank, normalized);
    if (!status.isOk())
      return status;
    out.push_back(normalized);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    return Status::error("axes repeat an axis");
  return Status::ok();
}

int64_t sliceLength(int64_t size, int64_t start, int64_t end, int64_t step) {
  auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
    if (v < 0)
      v += size;
    return std::clamp(v, lo, hi);
  };
  if (step > 0) {
    start = clamp(start, 0, size);
    end = clamp(end, 0, size);
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = clamp(start, 0, size - 1);
  end = clamp(end, -1, size - 1);
  return start > end ? (start - end - step - 1) / -step : 0;
}

int64_t sliceStart(int64_t size, int64_t start, int64_t step) {
  if (start < 0)
    start += size;
  return step > 0 ? std::clamp<int64_t>(start, 0, size)
                  : std::clamp<int64_t>(start, 0, size - 1);
}

Status sameDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims = {dimsOf(args.operand(0))};
  return Status::ok();
}

Status broadcastDims(const OpArgs &args, std::vector<Dims> &dims) {
  Dims out;
  for (size_t i = 0; i < args.numOperands; ++i) {
    const BufferView &x = args.operand(i);
    if (static_cast<size_t>(x.rank) > out.size())
      out.insert(out.begin(), x.rank - out.size(), 1);
    for (int32_t d = 0; d < x.rank; ++d) {
      int64_t &o = out[out.size() - x.rank + d];
      int64_t v = x.dims[d];
      if (o != v && o != 1 && v != 1)
        return Status::error("operands of dims " + std::to_string(o) + " and " +
                             std::to_string(v) + " do not broadcast");
      if (o == 1)
        o = v;
    }
  }
  dims = {out};
  return Status::ok();
}

void copyBuffer(const BufferView &x, const BufferView &out) {
  size_t bytes = static_cast<size_t>(x.numElements()) * kernels::elementSize(x.type);
  if (bytes && x.data != out.data)
    std::memcpy(out.data, x.data, bytes);
}

} // namespace dlrt::ops
