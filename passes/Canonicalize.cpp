//===- Canonicalize.cpp - The cleanup pipeline, to a fixed point ----------===//
//
// Runs fold-constants, simplify, cse and dce until a round changes nothing
// (bounded, in case two rules ever undo each other): each can expose work
// for the others (a folded shape makes a reshape a no-op, a removed no-op
// makes two nodes identical, ...).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace dlc {

LogicalResult canonicalize(Module &module, PassContext &context) {
  constexpr int kMaxRounds = 16;
  for (int round = 0; round < kMaxRounds; ++round) {
    uint64_t before = module.changeCount();
    for (PassFn pass : {foldConstants, simplify, eliminateCommonSubexpressions,
                        eliminateDeadCode})
      if (failed(pass(module, context)))
        return failure();
    if (module.changeCount() == before)
      break;
  }
  return success();
}

} // namespace dlc
