//===- EmitProgram.h - Module to runtime program ---------------*- C++ -*-===//
//
// Lowers a module (after the compile pipeline: shapes inferred and
// canonical, split into a host program and kernel graphs) to the program
// the runtime executes (runtime/program/Program.h): one function per graph
// (main first, callees after their callers), one register per value, each
// dim a shape expression, one instruction per node. Ops run through the
// entry points their OpDef lowers to, with the params encoded once here.
//
// What the compiled path cannot run yet is an error naming the node: an op
// without a lowering, a value of unknown rank or with an unknown dim, an op
// that decides a size from data through an entry point that cannot count.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_CODEGEN_PROGRAM_EMITPROGRAM_H
#define DLC_CODEGEN_PROGRAM_EMITPROGRAM_H

#include "ir/Diagnostics.h"
#include "ir/Graph.h"
#include "program/Program.h"

#include <cstdint>
#include <string_view>
#include <map>
#include <string>
#include <vector>

namespace dlc {

struct EmittedProgram {
  dlrt::program::Program program;
  dlrt::program::Weights weights;
  /// The native kernels (a shared object), if a native backend made any.
  std::vector<uint8_t> nativeObject;
  /// Coverage: ops in native kernels, ops left on the reference kernels
  /// (the ops of fused kernels that did not lower count; the reference
  /// copies of those that did do not); each instruction left there, and
  /// why, is in `metadata.onReference`.
  size_t nativeOps = 0, referenceOps = 0;
  dlrt::program::Metadata metadata;
};

/// The kernel backends: "halide" (the default: fused kernels and single
/// ops as Halide pipelines where they lower, the reference kernels for the
/// rest) and "reference" (every op on the runtime's reference kernels:
/// compiles in milliseconds, needs no C compiler).
inline constexpr const char *kDefaultBackend = "halide";
inline bool isBackend(std::string_view name) { return name == "halide" || name == "reference"; }

struct EmitOptions {
  std::string backend = kDefaultBackend;
  /// The native target (Halide target string); empty: this CPU.
  std::string target;
  /// Native schedules: "manual" or "auto:NAME" (a Halide autoscheduler).
  std::string schedule = "manual";
};

/// Lowers `module`'s graph @main and everything it runs.
std::optional<EmittedProgram> emitProgram(const Module &module, Diagnostics &diag,
                                          const EmitOptions &options = {});

/// The artifact file of `emitted` (signature, host program, weights,
/// metadata), checksummed.
std::vector<uint8_t> writeArtifact(const EmittedProgram &emitted);

} // namespace dlc

#endif // DLC_CODEGEN_PROGRAM_EMITPROGRAM_H
