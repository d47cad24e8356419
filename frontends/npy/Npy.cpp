//===- Npy.cpp - Read and write NumPy .npy files -------------------------===//
//
// IR tensors over the runtime's .npy codec (runtime/npy/Npy.h), the one
// reader and writer of the format.
//
//===----------------------------------------------------------------------===//

#include "frontends/npy/Npy.h"

#include "ir/ops/Kernels.h"
#include "npy/Npy.h"

namespace dlc {

std::optional<Tensor> parseNpy(std::string_view bytes, const std::string &name,
                               std::string &error) {
  std::optional<dlrt::npy::Array> array =
      dlrt::npy::parse(bytes, name, static_cast<uint64_t>(kMaxTensorBytes), error);
  if (!array)
    return std::nullopt;
  const auto *data = reinterpret_cast<const uint8_t *>(bytes.data()) + array->offset;
  return Tensor(kernels::typeOf(kernels::dtypeOf(array->type), array->dims),
                std::vector<uint8_t>(data, data + array->bytes));
}

std::optional<Tensor> readNpy(const std::string &path, std::string &error) {
  std::string bytes;
  if (!dlrt::npy::readFile(path, static_cast<uint64_t>(kMaxTensorBytes), bytes, error))
    return std::nullopt;
  return parseNpy(bytes, path, error);
}

bool writeNpy(const std::string &path, const Tensor &tensor, std::string &error) {
  std::vector<int64_t> dims;
  for (const Dim &dim : tensor.type().dims())
    dims.push_back(dim.size());
  return dlrt::npy::write(path, kernels::elementType(tensor.dtype()), dims,
                          tensor.bytes().data(), tensor.bytes().size(), error);
}

} // namespace dlc
