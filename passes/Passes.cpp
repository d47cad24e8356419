//===- Passes.cpp - The one table of passes -------------------------------===//

#include "passes/Passes.h"

#include <algorithm>
#include <iterator>

namespace dlc {

namespace {
constexpr PassInfo kPasses[] = {
    {"infer-shapes", inferShapes,
     "propagate symbolic shapes; name data-dependent sizes (?nonzero0)"},
    {"specialize", specialize,
     "substitute --bind NAME=SIZE for symbols and fold the sizes"},
    {"canonicalize", canonicalize,
     "fold shapes and constants, simplify, CSE and DCE to a fixed point"},
    {"fold-shapes", foldShapes,
     "fold shape -> gather -> concat -> reshape chains into constant targets"},
    {"fold-constants", foldConstants,
     "evaluate nodes whose operands are constants (results up to 1 MiB)"},
    {"simplify", simplify,
     "remove no-op ops, exact algebraic identities, constant ifs, zero-trip loops"},
    {"cse", eliminateCommonSubexpressions,
     "replace nodes by identical earlier nodes"},
    {"hoist-loop-invariants", hoistLoopInvariants,
     "move loop-invariant nodes out of loop bodies (licm)"},
    {"sink-into-branches", sinkIntoBranches,
     "move work only one branch of an if reads into that branch"},
    {"profile", profile,
     "run sample inputs (--profile-inputs) and record what the rewrites may use"},
    {"moe-sparsify", moeSparsify,
     "route dense-exported mixture-of-experts layers: experts run on their tokens"},
    {"condconv", condConv,
     "mix CondConv's expert kernels per example: one grouped convolution"},
    {"batch-loops", batchLoops,
     "lift loops over a batch's samples (an if per sample) to batched ops and selects"},
    {"branch-batch", branchBatch,
     "partition the batch at per-sample selects: each branch runs on its samples"},
    {"split", split,
     "outline straight-line kernels; what remains is the host program"},
    {"fuse", fuse,
     "group each kernel graph's ops into fused kernels (fusion nodes)"},
    {"dce", eliminateDeadCode,
     "remove unused nodes, if results, captures and weights"},
};
} // namespace

std::string Remark::str() const {
  std::string where = location.str();
  return (where.empty() ? "" : where + ": ") + "remark: [" + std::string(pass) + "] " +
         (kind == Kind::Missed ? "missed: " : kind == Kind::Analysis ? "analysis: " : "") +
         message;
}

std::span<const PassInfo> allPasses() { return kPasses; }

const PassInfo *lookupPass(std::string_view name) {
  auto it = std::find_if(std::begin(kPasses), std::end(kPasses),
                         [&](const PassInfo &pass) { return pass.name == name; });
  return it == std::end(kPasses) ? nullptr : it;
}

} // namespace dlc
