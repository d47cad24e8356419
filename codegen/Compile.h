//===- Compile.h - The compiler, end to end ---------------------*- C++ -*-===//
//
// A verified module in, the program the runtime runs out: the compile
// pipeline (passes/Passes.h: kCompilePipeline, or the one asked for, with
// `specialize` first when sizes are bound), then code generation. One
// function behind `dlc compile`, `dlc check`, the embedding API and the
// compiled-path conformance run.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_CODEGEN_COMPILE_H
#define DLC_CODEGEN_COMPILE_H

#include "codegen/program/EmitProgram.h"
#include "ir/Tensor.h"
#include "program/Executor.h"

#include <map>
#include <memory>
#include <string>

namespace dlc {

struct CompileRequest {
  std::string passes; ///< empty: kCompilePipeline
  std::map<std::string, int64_t, std::less<>> bindings;
  bool verifyEach = false; ///< verify the module after every pass
  /// branch-batch partitions whatever its cost model says (for tests).
  bool forcePartition = false;
  EmitOptions emit;        ///< backend and target
};

/// The pass pipeline text `request` runs.
std::string compilePipeline(const CompileRequest &request);

/// Runs the pipeline on `module` (changing it) and emits the program.
std::optional<EmittedProgram> compileModule(Module &module, const CompileRequest &request,
                                            Diagnostics &diag);

/// The executable of an emitted program; null with `error` set.
std::shared_ptr<const dlrt::program::Executable> makeExecutable(EmittedProgram emitted,
                                                               std::string &error);

/// Runtime buffers viewing IR tensors (no copy; each keeps its tensor).
std::vector<std::shared_ptr<dlrt::program::Buffer>>
viewTensors(const std::vector<std::shared_ptr<const Tensor>> &tensors);

/// Runs `session` on IR tensors (viewed, not copied) and returns the
/// outputs as IR tensors (copied); nullopt with `error` set.
std::optional<std::vector<std::shared_ptr<const Tensor>>>
runSession(dlrt::program::Session &session,
           const std::vector<std::shared_ptr<const Tensor>> &inputs, std::string &error);

} // namespace dlc

#endif // DLC_CODEGEN_COMPILE_H
