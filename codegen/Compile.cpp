//===- Compile.cpp - The compiler, end to end -----------------------------===//

#include "codegen/Compile.h"

#include "ir/ops/Kernels.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"

namespace dlc {

std::string compilePipeline(const CompileRequest &request) {
  std::string_view fallback =
      request.emit.backend == "reference" ? kCompilePipeline : kNativeCompilePipeline;
  std::string text = request.passes.empty() ? std::string(fallback) : request.passes;
  if (!request.bindings.empty())
    text = "specialize," + text;
  return text;
}

namespace {

/// The names of main's inputs and outputs, in order: the model's interface.
std::vector<std::string> interfaceOf(const Module &module) {
  std::vector<std::string> names;
  if (const Graph *main = module.graph("main")) {
    for (const auto &input : main->inputs())
      names.push_back("input " + input->name());
    for (const std::string &name : main->outputNames())
      names.push_back("output " + name);
  }
  return names;
}

std::vector<std::string> interfaceOf(const dlrt::program::Program &program) {
  std::vector<std::string> names;
  for (const dlrt::program::Port &port : program.inputs)
    names.push_back("input " + port.name);
  for (const dlrt::program::Port &port : program.outputs)
    names.push_back("output " + port.name);
  return names;
}

} // namespace

std::optional<EmittedProgram> compileModule(Module &module, const CompileRequest &request,
                                            Diagnostics &diag) {
  // Every compile checks that the program keeps the model's interface: a
  // pass that renames, drops or reorders an input or output is a bug.
  std::vector<std::string> interface = interfaceOf(module);
  PassContext context(diag);
  context.forcePartition = request.forcePartition;
  for (const auto &[name, value] : request.bindings)
    context.bindings[name] = value;
  std::optional<Pipeline> pipeline = Pipeline::parse(compilePipeline(request), diag);
  PipelineOptions options;
  options.verifyEach = options.verifyEach || request.verifyEach;
  if (!pipeline || failed(pipeline->run(module, context, options)))
    return std::nullopt;
  std::optional<EmittedProgram> emitted = emitProgram(module, diag, request.emit);
  if (emitted && interfaceOf(emitted->program) != interface) {
    (void)diag.error(Location(), "internal error: compiling changed the model's interface (the "
                                 "names or order of its inputs and outputs)");
    return std::nullopt;
  }
  return emitted;
}

std::shared_ptr<const dlrt::program::Executable> makeExecutable(EmittedProgram emitted,
                                                               std::string &error) {
  std::shared_ptr<const dlrt::program::Executable> executable;
  dlrt::kernels::Status status = dlrt::program::Executable::create(
      std::move(emitted.program), std::move(emitted.weights), executable, emitted.nativeObject);
  if (!status.isOk())
    error = status.message();
  return executable;
}

std::vector<std::shared_ptr<dlrt::program::Buffer>>
viewTensors(const std::vector<std::shared_ptr<const Tensor>> &tensors) {
  using namespace dlrt::program;
  std::vector<BufferRef> buffers;
  for (const std::shared_ptr<const Tensor> &tensor : tensors)
    buffers.push_back(Buffer::view(kernels::elementType(tensor->dtype()),
                                   kernels::shapeOf(*tensor),
                                   const_cast<uint8_t *>(tensor->bytes().data()), tensor));
  return buffers;
}

std::optional<std::vector<std::shared_ptr<const Tensor>>>
runSession(dlrt::program::Session &session,
           const std::vector<std::shared_ptr<const Tensor>> &inputs, std::string &error) {
  using namespace dlrt::program;
  std::vector<BufferRef> buffers = viewTensors(inputs);
  std::vector<BufferRef> results;
  dlrt::kernels::Status status = session.run(buffers, results);
  if (!status.isOk()) {
    error = status.message();
    return std::nullopt;
  }
  std::vector<std::shared_ptr<const Tensor>> outputs;
  for (const BufferRef &result : results) {
    TensorType type = kernels::typeOf(kernels::dtypeOf(result->type()), result->dims());
    const uint8_t *data = static_cast<const uint8_t *>(result->data());
    outputs.push_back(
        std::make_shared<Tensor>(type, std::vector<uint8_t>(data, data + result->bytes())));
  }
  return outputs;
}

} // namespace dlc
