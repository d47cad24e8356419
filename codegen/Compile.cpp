//===- Compile.cpp - The compiler, end to end -----------------------------===//

#include "codegen/Compile.h"

#include "passes/Passes.h"
#include "passes/Pipeline.h"

namespace dlc {

std::string compilePipeline(const CompileRequest &request) {
  std::string text = request.passes.empty() ? std::string(kCompilePipeline) : request.passes;
  if (!request.bindings.empty())
    text = "specialize," + text;
  return text;
}

std::optional<EmittedProgram> compileModule(Module &module, const CompileRequest &request,
                                            Diagnostics &diag) {
  PassContext context(diag);
  for (const auto &[name, value] : request.bindings)
    context.bindings[name] = value;
  std::optional<Pipeline> pipeline = Pipeline::parse(compilePipeline(request), diag);
  PipelineOptions options;
  options.verifyEach = options.verifyEach || request.verifyEach;
  if (!pipeline || failed(pipeline->run(module, context, options)))
    return std::nullopt;
  return emitProgram(module, diag);
}

} // namespace dlc
