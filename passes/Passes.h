//===- Passes.h - The IR-to-IR passes and their registry ------*- C++ -*-===//
//
// Every pass is one function over a Module with one entry point, defined in
// its own file and listed once, in the table in Passes.cpp (name, function,
// one-line help). Pipelines name passes in a comma-separated string
// (Pipeline.h). A pass that fails has emitted a diagnostic with a location.
//
// Passes build on ir/ and the standard library only.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PASSES_PASSES_H
#define DLC_PASSES_PASSES_H

#include "ir/Graph.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dlc {

/// What a pass says about a rewrite it made or could not make (as LLVM's
/// optimization remarks): `dlc opt --remarks` prints them.
struct Remark {
  enum class Kind { Applied, Missed, Analysis };
  std::string_view pass;
  Kind kind;
  Location location;
  std::string message;
  /// `LOCATION: remark: [PASS] message` (missed: "... [PASS] missed: ...",
  /// analysis: "... [PASS] analysis: ...").
  std::string str() const;
};

/// What the model did on sample inputs (`dlc compile --profile-inputs`),
/// recorded by the `profile` pass for the rewrites to consult: how often
/// each value (by name) was zero, which branch each `if` took, the sizes
/// data decided (rows routed to each expert).
struct Profile {
  struct Counts {
    int64_t elements = 0, zeros = 0;
  };
  struct Branches {
    int64_t then = 0, otherwise = 0;
  };
  struct Sizes {
    int64_t runs = 0, min = INT64_MAX, max = 0, sum = 0;
  };
  int64_t runs = 0;
  std::map<std::string, Counts, std::less<>> values; ///< float and bool values
  std::map<std::string, Branches, std::less<>> branches; ///< by the if's first result
  std::map<std::string, Sizes, std::less<>> sizes; ///< data-dependent sizes, by result
  /// The fraction of `value`'s elements the runs saw zero (false); nullopt
  /// if they did not see it (no profile, or a value without a name).
  std::optional<double> zeroFraction(const Value &value) const;
};

/// What every pass sees besides the module.
struct PassContext {
  explicit PassContext(Diagnostics &diag) : diag(diag) {}
  Diagnostics &diag;
  /// Remarks of every pass run so far, in order.
  std::vector<Remark> remarks;
  void remark(std::string_view pass, Remark::Kind kind, const Location &location,
              std::string message) {
    remarks.push_back({pass, kind, location, std::move(message)});
  }
  /// Symbol values for `specialize` (`--bind N=8`).
  std::map<std::string, int64_t, std::less<>> bindings;
  /// branch-batch partitions every select it can, whatever its cost model
  /// says (`--force-branch-batch`: tests of the rewrite on small models).
  bool forcePartition = false;
  /// Constant folding leaves results larger than this unfolded.
  int64_t foldLimitBytes = int64_t(1) << 20;
  /// Sample inputs for `profile` (by input name, one map per run) and what
  /// it recorded.
  std::vector<std::map<std::string, std::shared_ptr<const Tensor>, std::less<>>> profileInputs;
  Profile profile;
};

using PassFn = LogicalResult (*)(Module &module, PassContext &context);

struct PassInfo {
  std::string_view name; ///< kebab-case, as pipelines name it
  PassFn run;
  std::string_view help; ///< one line
};

/// Every pass, in the order `dlc opt --list-passes` shows them.
std::span<const PassInfo> allPasses();
/// The pass named `name`, or null.
const PassInfo *lookupPass(std::string_view name);

/// The pipeline `dlc opt -O` and `dlc run -O` run.
/// Shapes first (folding needs them), then cleanup, which keeps them
/// current.
inline constexpr std::string_view kDefaultPipeline = "infer-shapes,canonicalize";
/// What compiling runs before code generation (`dlc compile`, `dlc check`,
/// the embedding API; `specialize` first given `--bind`): the default
/// pipeline, the dynamic-network rewrites
/// (CondConv kernels mixed, dense mixture-of-experts layers routed,
/// per-sample loops lifted, per-sample selects partitioned), loop invariants out of their loops,
/// work one branch needs into it, then splitting.
inline constexpr std::string_view kCompilePipeline =
    "infer-shapes,canonicalize,condconv,moe-sparsify,batch-loops,branch-batch,hoist-loop-invariants,sink-into-branches,dce,split";
/// The same for native code generators: kernels fused last.
inline constexpr std::string_view kNativeCompilePipeline =
    "infer-shapes,canonicalize,condconv,moe-sparsify,batch-loops,branch-batch,hoist-loop-invariants,sink-into-branches,dce,split,fuse";

//===- The passes (one file each) -----------------------------------------===//

/// Propagates shapes through every graph, nested ones included: each value
/// gets the most precise type inference derives (symbolic expressions where
/// sizes are functions of other sizes), and sizes that depend on tensor data
/// get fresh data-dependent symbols. (InferShapes.cpp)
LogicalResult inferShapes(Module &module, PassContext &context);

/// Substitutes PassContext::bindings (`--bind N=8`) for their symbols, then
/// infers shapes again so sizes fold. (InferShapes.cpp)
LogicalResult specialize(Module &module, PassContext &context);

/// Conditional-computation splitting (after DyCL): every maximal run of
/// straight-line kernel work becomes a top-level graph `@<graph>.k<N>`
/// called from the host program that remains (control flow, data-dependent
/// sizes, shape reads). (Split.cpp)
LogicalResult split(Module &module, PassContext &context);

/// Groups the ops of every kernel graph into `fusion` nodes (fused kernels)
/// by the cost model in Fuse.cpp.
LogicalResult fuse(Module &module, PassContext &context);

/// Loop-invariant code motion: body nodes whose operands do not change
/// between iterations move in front of their loop (the body captures their
/// results); nodes that can fail at run time move only out of loops that
/// run at least once. (HoistLoopInvariants.cpp)
LogicalResult hoistLoopInvariants(Module &module, PassContext &context);

/// Work only one branch of an `if` reads moves into that branch (with the
/// producers that then feed only it), so a skipped block or an early exit
/// costs nothing but its condition. (SinkIntoBranches.cpp)
LogicalResult sinkIntoBranches(Module &module, PassContext &context);

/// Mixture-of-experts layers exported densely (every expert on every
/// token, outputs weighed by top-k gates that are zero elsewhere) become
/// routed: each expert runs on the rows its gate chose and the outputs are
/// scatter-added. (MoeSparsify.cpp)
LogicalResult moeSparsify(Module &module, PassContext &context);

/// Weighted sums of K convolutions of one input with per-example weights
/// (CondConv) become the kernels mixed per example and one convolution
/// grouped by example. (CondConv.cpp)
LogicalResult condConv(Module &module, PassContext &context);

/// Loops over a batch's samples that write row i of their output from row
/// i of the input (an `if` per sample) become the body lifted to the batch,
/// the `if` a per-sample select, for branch-batch. (BatchLoops.cpp)
LogicalResult batchLoops(Module &module, PassContext &context);

/// Per-sample selects (where(cond[n], A(x), B(x)) with A and B row-wise)
/// partition the batch: each branch runs on the samples that take it, the
/// results are scattered back in order. (BranchBatch.cpp)
LogicalResult branchBatch(Module &module, PassContext &context);

/// Runs the entry graph (`main`, or the first) on PassContext::profileInputs
/// with the reference interpreter and records what it saw in
/// PassContext::profile, with an analysis remark per `if` and per
/// data-decided size; nothing without inputs. (Profile.cpp)
LogicalResult profile(Module &module, PassContext &context);

/// Removes nodes whose results are unused, results of `if` nodes and scan
/// outputs of `loop` nodes nobody reads (with the graph outputs producing
/// them), captures no nested graph reads, and weights no node references.
/// (EliminateDeadCode.cpp)
LogicalResult eliminateDeadCode(Module &module, PassContext &context);

/// Replaces a node by an earlier identical one (same op, operands and
/// attributes) in the same graph. (EliminateCommonSubexpressions.cpp)
LogicalResult eliminateCommonSubexpressions(Module &module, PassContext &context);

/// Evaluates nodes whose operands are all constants with their reference
/// implementation and replaces them by `constant` nodes, up to
/// PassContext::foldLimitBytes per result. (FoldConstants.cpp)
LogicalResult foldConstants(Module &module, PassContext &context);

/// Local rewrites that remove work: no-op reshapes, casts and transposes,
/// transpose chains, x+0 / x*1 where exact, `if` on a constant condition,
/// loops that run zero times. (Simplify.cpp)
LogicalResult simplify(Module &module, PassContext &context);

/// Folds the integer shape arithmetic exporters emit (shape -> gather ->
/// concat -> reshape): known sizes become constants, reshapes get constant
/// targets (0 and -1 standing for symbolic sizes). (FoldShapes.cpp)
LogicalResult foldShapes(Module &module, PassContext &context);

/// fold-shapes, fold-constants, simplify, cse, dce and infer-shapes to a
/// fixed point. (Canonicalize.cpp)
LogicalResult canonicalize(Module &module, PassContext &context);

} // namespace dlc

#endif // DLC_PASSES_PASSES_H
