//===- DependencySmoke.h - Halide and MLIR in one process -----*- C++ -*-===//
//
// Two tiny JIT entry points, each in its own translation unit so that Halide
// (LLVM 14) and MLIR (LLVM 19) headers never meet. The test calls both from
// one binary to prove the two toolchains coexist in one process.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TESTS_UNIT_CODEGEN_DEPENDENCYSMOKE_H
#define DLC_TESTS_UNIT_CODEGEN_DEPENDENCYSMOKE_H

#include <cstdint>
#include <optional>
#include <vector>

namespace dlc::smoke {

/// JIT-compiles f(x) = 2x + 1 with Halide and realizes it over [0, n).
std::vector<int> runHalideJit(int n);

/// JIT-compiles a * b + a through MLIR's ExecutionEngine and calls it;
/// nullopt if any MLIR step failed.
std::optional<int64_t> runMlirJit(int64_t a, int64_t b);

} // namespace dlc::smoke

#endif
