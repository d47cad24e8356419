//===- Canonicalize.cpp - The cleanup pipeline, to a fixed point ----------===//
//
// Runs fold-shapes, fold-constants, simplify, cse, dce and infer-shapes
// until a round changes nothing (bounded, in case two rules ever undo each
// other): each can expose work for the others (a folded reshape target
// makes the reshape's type known, which lets the next reshape fold; a
// removed no-op makes two nodes identical, ...).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace dlc {

LogicalResult canonicalize(Module &module, PassContext &context) {
  constexpr int kMaxRounds = 16;
  for (int round = 0; round < kMaxRounds; ++round) {
    uint64_t before = module.changeCount();
    for (PassFn pass : {foldShapes, foldConstants, simplify,
                        eliminateCommonSubexpressions, eliminateDeadCode,
                        inferShapes})
      if (failed(pass(module, context)))
        return failure();
    if (module.changeCount() == before)
      break;
  }
  return success();
}

} // namespace dlc
