//===- Compiler.cpp - Compile and run models in process -------------------===//

#include "dlc/Compiler.h"

#include "frontends/onnx/OnnxImporter.h"
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"

#include <cstring>

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
};

CompiledModel::CompiledModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CompiledModel::~CompiledModel() = default;

namespace {

/// Verifies `module` and runs the compile pipeline on it; false after
/// writing the diagnostics to `error`.
bool compileInPlace(Module *module, const CompileOptions &options, Diagnostics &diag,
                    std::string &error) {
  if (module && succeeded(verifyModule(*module, diag))) {
    std::string text = options.passes.empty() ? std::string(kCompilePipeline) : options.passes;
    if (!options.bindings.empty())
      text = "specialize," + text;
    PassContext context(diag);
    for (const auto &[name, value] : options.bindings)
      context.bindings[name] = value;
    std::optional<Pipeline> pipeline = Pipeline::parse(text, diag);
    if (pipeline && succeeded(pipeline->run(*module, context)))
      return true;
  }
  error = diag.str();
  return false;
}

} // namespace

std::unique_ptr<CompiledModel> CompiledModel::compileFile(const std::string &path,
                                                          const CompileOptions &options,
                                                          std::string &error) {
  Diagnostics diag;
  bool isOnnx = path.size() > 5 && path.substr(path.size() - 5) == ".onnx";
  auto impl = std::make_unique<Impl>();
  impl->module = isOnnx ? importOnnxFile(path, diag) : parseModuleFile(path, diag);
  if (!compileInPlace(impl->module.get(), options, diag, error))
    return nullptr;
  return std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl)));
}

std::unique_ptr<CompiledModel> CompiledModel::compileText(const std::string &text,
                                                          const CompileOptions &options,
                                                          std::string &error) {
  Diagnostics diag;
  auto impl = std::make_unique<Impl>();
  impl->module = parseModule(text, "<text>", diag);
  if (!compileInPlace(impl->module.get(), options, diag, error))
    return nullptr;
  return std::unique_ptr<CompiledModel>(new CompiledModel(std::move(impl)));
}

std::vector<std::string> CompiledModel::inputNames() const {
  std::vector<std::string> names;
  for (const auto &input : impl_->module->graph("main")->inputs())
    names.push_back(input->name());
  return names;
}

std::vector<std::string> CompiledModel::outputNames() const {
  std::vector<std::string> names;
  for (const Value *output : impl_->module->graph("main")->outputs())
    names.push_back(output->name());
  return names;
}

std::string CompiledModel::ir() const { return printModule(*impl_->module); }

bool CompiledModel::run(const std::vector<HostTensor> &inputs,
                        std::vector<HostTensor> &outputs, std::string &error) const {
  const Graph &graph = *impl_->module->graph("main");
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
  Diagnostics diag;
  Interpreter interpreter(diag);
  std::optional<std::vector<TensorRef>> results = interpreter.run(graph, values);
  if (!results) {
    error = diag.str();
    return false;
  }
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
