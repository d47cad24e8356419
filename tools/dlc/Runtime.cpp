//===- Runtime.cpp - The tool's bridge to the runtime ---------------------===//

#include "tools/dlc/Runtime.h"

#include "artifact/Artifact.h"
#include "ir/ops/Kernels.h"

#include <cctype>
#include <cstring>
#include <fstream>

namespace dlc::tool {

using namespace dlrt::program;

bool isArtifactFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof dlrt::artifact::kMagic] = {};
  return in.read(magic, sizeof magic) &&
         std::memcmp(magic, dlrt::artifact::kMagic, sizeof magic) == 0;
}

std::shared_ptr<const Executable> loadExecutable(const std::string &path, std::string &error) {
  std::optional<dlrt::artifact::Artifact> artifact;
  dlrt::kernels::Status status = dlrt::artifact::Artifact::openFile(path, artifact);
  std::shared_ptr<const Executable> executable;
  if (status.isOk())
    status = Executable::load(*artifact, executable);
  if (!status.isOk()) {
    error = path + ": " + status.message();
    return nullptr;
  }
  return executable;
}

namespace {

DType dtypeOf(dlrt::kernels::ElementType type) {
  return *parseDType(dlrt::kernels::elementTypeName(type));
}

Dim dimOf(const std::string &text) {
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (digits && text.size() < 15)
    return Dim(std::stoll(text));
  bool name = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
  return name ? Dim::symbol(text) : Dim();
}

} // namespace

std::vector<InputSpec> inputSpecs(const Program &program) {
  std::vector<InputSpec> specs;
  for (const Port &port : program.inputs) {
    std::vector<Dim> dims;
    for (const std::string &dim : port.dims)
      dims.push_back(dimOf(dim));
    specs.push_back({port.name, TensorType(dtypeOf(port.type), dims)});
  }
  return specs;
}

std::optional<std::vector<TensorRef>> runSession(Session &session,
                                                 const std::vector<TensorRef> &inputs,
                                                 std::string &error) {
  std::vector<BufferRef> buffers;
  for (const TensorRef &input : inputs)
    buffers.push_back(Buffer::view(kernels::elementType(input->dtype()),
                                   kernels::shapeOf(*input),
                                   const_cast<uint8_t *>(input->bytes().data()), input));
  std::vector<BufferRef> results;
  dlrt::kernels::Status status = session.run(buffers, results);
  if (!status.isOk()) {
    error = status.message();
    return std::nullopt;
  }
  std::vector<TensorRef> outputs;
  for (const BufferRef &result : results) {
    TensorType type = kernels::typeOf(dtypeOf(result->type()), result->dims());
    const uint8_t *data = static_cast<const uint8_t *>(result->data());
    outputs.push_back(
        std::make_shared<Tensor>(type, std::vector<uint8_t>(data, data + result->bytes())));
  }
  return outputs;
}

} // namespace dlc::tool
