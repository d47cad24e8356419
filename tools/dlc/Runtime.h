//===- Runtime.h - The tool's bridge to the runtime -------------*- C++ -*-===//
//
// Loading artifacts, and moving tensors between the IR's Tensor (inputs
// from .npy files, summaries, the interpreter's results) and the runtime's
// buffers (zero-copy in, one copy out).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TOOLS_DLC_RUNTIME_H
#define DLC_TOOLS_DLC_RUNTIME_H

#include "ir/Tensor.h"
#include "codegen/Compile.h"
#include "program/Executor.h"
#include "tools/dlc/Driver.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc::tool {

/// True if `path` starts with the artifact magic.
bool isArtifactFile(const std::string &path);
/// Opens, validates and loads an artifact; null with `error` set.
std::shared_ptr<const dlrt::program::Executable> loadExecutable(const std::string &path,
                                                                std::string &error);
/// The program's inputs as declared types. Dims that are expressions of
/// several symbols become unknown (give them with --shape).
std::vector<InputSpec> inputSpecs(const dlrt::program::Program &program);

} // namespace dlc::tool

#endif // DLC_TOOLS_DLC_RUNTIME_H
