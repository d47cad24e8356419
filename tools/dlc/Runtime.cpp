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
    DType dtype = kernels::dtypeOf(port.type);
    specs.push_back({port.name, port.ranked ? TensorType(dtype, dims) : TensorType::unranked(dtype)});
  }
  return specs;
}

} // namespace dlc::tool
