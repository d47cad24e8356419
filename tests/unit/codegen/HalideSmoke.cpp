//===- HalideSmoke.cpp - JIT one Halide pipeline -------------------------===//
//
// Half of the dependency smoke test. This file includes Halide.h and must
// never include an LLVM header (Halide links LLVM 14, MLIR links LLVM 19).
//
//===----------------------------------------------------------------------===//

#include "DependencySmoke.h"

#include <Halide.h>

namespace dlc::smoke {

std::vector<int> runHalideJit(int n) {
  Halide::Func f("twice_plus_one");
  Halide::Var x("x");
  f(x) = x * 2 + 1;
  Halide::Buffer<int> out = f.realize({n});
  std::vector<int> result(n);
  for (int i = 0; i < n; ++i)
    result[i] = out(i);
  return result;
}

} // namespace dlc::smoke
