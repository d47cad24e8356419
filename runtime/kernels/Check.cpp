//===- Check.cpp - The checks a kernel makes before it touches data ------===//

#include "kernels/Check.h"

namespace dlrt::kernels {

std::string dimsText(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? "," : "") + std::to_string(dims[i]);
  return text + "]";
}

Status expectDims(const BufferView &x, const std::vector<int64_t> &dims, std::string_view op,
                  std::string_view what) {
  if (std::vector<int64_t>(x.dims, x.dims + x.rank) == dims)
    return Status::ok();
  return Status::error(std::string(op) + ": " + std::string(what) + " has dims " +
                       dimsText(std::vector<int64_t>(x.dims, x.dims + x.rank)) + ", expected " +
                       dimsText(dims));
}

Status expectElements(const BufferView &x, int64_t count, std::string_view op,
                      std::string_view what) {
  if (x.numElements() == count)
    return Status::ok();
  return Status::error(std::string(op) + ": " + std::string(what) + " has " +
                       std::to_string(x.numElements()) + " elements, expected " +
                       std::to_string(count));
}

Status expectRank(const BufferView &x, int32_t rank, std::string_view op, std::string_view what,
                  bool atLeast) {
  if (x.rank == rank || (atLeast && x.rank > rank))
    return Status::ok();
  return Status::error(std::string(op) + ": " + std::string(what) + " has rank " +
                       std::to_string(x.rank) + ", expected " + (atLeast ? "at least " : "") +
                       std::to_string(rank));
}

} // namespace dlrt::kernels
