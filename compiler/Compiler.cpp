//===- Compiler.cpp - Compile and run models in process -------------------===//

#include "dlc/Compiler.h"

#include "codegen/Compile.h"
#include "frontends/onnx/OnnxImporter.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "ir/ops/Kernels.h"

#include <cstring>
#include <mutex>

namespace dlc {

namespace {
} // namespace

HostTensor HostTensor::fromFloats(std::vector<int64_t> dims, const std::vector<float> &values) {
  HostTensor tensor;
  tensor.dims = std::move(dims);
  tensor.bytes.resize(values.size() * sizeof(float));
  std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

std::vector<float> HostTensor::floats() const {
  if (dtype != "f32")
    return {};
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

struct CompiledModel::Impl {
  std::unique_ptr<Module> module;
  EmittedProgram emitted; ///< for artifact()
  std::shared_ptr<const dlrt::program::Executable> executable;
  int threads = 0;
  /// Idle sessions: a run takes one (or makes one) and gives it back.
  mutable std::mutex mutex;
  mutable std::vector<std::unique_ptr<dlrt::program::Session>> idle;
};

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledModel::~CompiledModel() = default;

namespace {

/// Verifies the module, compiles it and loads the program; null after
/// writing the diagnostics to `error`.
std::unique_ptr<CompiledModel::Impl> compileImpl(std::unique_ptr<Module> module,
                                                 const CompileOptions &options,
                                                 Diagnostics &diag, std::string &error) {
  if (module && succeeded(verifyModule(*module, diag))) {
    CompileRequest request;
    request.passes = options.passes;
    request.bindings.insert(options.bindings.begin(), options.bindings.end());
    request.emit.backend = options.backend;
    if (std::optional<EmittedProgram> emitted = compileModule(*module, request, diag)) {
      auto impl = std::make_unique<CompiledModel::Impl>();
      impl->module = std::move(module);
      impl->emitted = *emitted;
      impl->threads = options.threads;
      impl->executable = makeExecutable(std::move(*emitted), error);
      return impl->executable ? std::move(impl) : nullptr;
    }
  }
  error = diag.str();
  return nullptr;
}

} // namespace

std::unique_ptr<CompiledModel> CompiledModel::compileFile(const std::string &path,
                                                          const CompileOptions &options,
                                                          std::string &error) {
  Diagnostics diag;
  bool isOnnx = path.size() > 5 && path.substr(path.size() - 5) == ".onnx";
  std::unique_ptr<Impl> impl = compileImpl(
      isOnnx ? importOnnxFile(path, diag) : parseModuleFile(path, diag), options, diag, error);
  return impl ? std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl))) : nullptr;
}

std::unique_ptr<CompiledModel> CompiledModel::compileText(const std::string &text,
                                                          const CompileOptions &options,
                                                          std::string &error) {
  Diagnostics diag;
  std::unique_ptr<Impl> impl =
      compileImpl(parseModule(text, "<text>", diag), options, diag, error);
  return impl ? std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl))) : nullptr;
}

std::vector<std::string> CompiledModel::inputNames() const {
  std::vector<std::string> names;
  for (const auto &input : impl_->module->graph("main")->inputs())
    names.push_back(input->name());
  return names;
}

std::vector<std::string> CompiledModel::outputNames() const {
  return impl_->module->graph("main")->outputNames();
}

std::string CompiledModel::ir() const { return printModule(*impl_->module); }

std::vector<uint8_t> CompiledModel::artifact() const { return writeArtifact(impl_->emitted); }

bool CompiledModel::run(const std::vector<HostTensor> &inputs,
                        std::vector<HostTensor> &outputs, std::string &error) const {
  std::vector<TensorRef> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const HostTensor &in = inputs[i];
    std::optional<DType> dtype = parseDType(in.dtype);
    std::vector<Dim> dims;
    bool valid = dtype.has_value();
    for (int64_t d : in.dims) {
      valid &= d >= 0 && d <= kMaxDimSize;
      if (valid)
        dims.push_back(Dim(d));
    }
    std::optional<int64_t> bytes =
        valid ? Tensor::payloadBytes(TensorType(*dtype, dims)) : std::nullopt;
    if (!bytes || *bytes != static_cast<int64_t>(in.bytes.size())) {
      error = "input " + std::to_string(i) + ": dtype, dims and bytes disagree";
      return false;
    }
    values.push_back(std::make_shared<Tensor>(TensorType(*dtype, dims), in.bytes));
  }
  std::unique_ptr<dlrt::program::Session> session;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (!impl_->idle.empty()) {
      session = std::move(impl_->idle.back());
      impl_->idle.pop_back();
    }
  }
  if (!session) {
    dlrt::program::SessionOptions options;
    options.threads = impl_->threads;
    session = std::make_unique<dlrt::program::Session>(impl_->executable, options);
  }
  std::optional<std::vector<TensorRef>> results = runSession(*session, values, error);
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->idle.push_back(std::move(session));
  }
  if (!results)
    return false;
  outputs.clear();
  for (const TensorRef &result : *results) {
    HostTensor out;
    out.dtype = std::string(dtypeName(result->dtype()));
    for (const Dim &dim : result->type().dims())
      out.dims.push_back(dim.size());
    out.bytes = result->bytes();
    outputs.push_back(std::move(out));
  }
  return true;
}

} // namespace dlc
