//===- BranchBatch.cpp - Per-sample branches run on their samples only ----===//
//
// Exporters write a per-sample choice inside a batch as a select: both
// branches run on every sample, then
//
//   out = where(cond, A(x), B(x))         cond: [N] or [N, 1, ...]
//
// picks each sample's row (a per-sample gate, a mixture of two paths, an
// early-exit classifier on a batch: out = where(confident, head1(h),
// head2(block2(h)))). This pass partitions the batch instead:
//
//   taken = nonzero(cond)    skipped = nonzero(not cond)
//   out   = scatter_nd(scatter_nd(zeros, taken,   A(gather(x, taken))),
//                                        skipped, B(gather(x, skipped)))
//
// so each branch runs on its own samples (a branch that is a value
// computed anyway is gathered). Samples that exit stop computing; nested
// selects partition again on the next run of the pass's fixed point.
//
// What makes it exact: each branch's exclusive work acts on rows alone
// (Rowwise.h proves it node by node: matmuls, convolutions, pools and
// normalizations per sample, elementwise math, reductions past the batch
// dim), so computing it on a subset of the samples gives those rows of
// the dense result, and every row of the result is written once, by the
// branch the select took. What makes it profitable: some branch does a
// contraction (matmul, gemm, conv) that the partition saves on the samples
// that do not take it, and a profile (--profile-inputs), if there is one,
// saw some samples not take it; otherwise the select stays, with a missed
// remark.
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"
#include "passes/Rowwise.h"

#include <cstdio>
#include <optional>
#include <set>
#include <string>

namespace dlc {
namespace {

constexpr std::string_view kPass = "branch-batch";

/// A branch of a select: the work only it needs (proven row-wise), or a
/// value computed anyway.
struct Branch {
  Value *value = nullptr;
  std::optional<RowwiseCone> cone;
};

/// Whether `cond` picks whole rows of `type`: [rows] for a vector,
/// [rows, 1, ...] otherwise.
bool perSample(const TensorType &cond, const TensorType &type) {
  if (!cond.hasRank() || cond.rank() == 0 || !(cond.dim(0) == type.dim(0)))
    return false;
  if (cond.rank() != type.rank())
    return false;
  for (int64_t i = 1; i < cond.rank(); ++i)
    if (!(cond.dim(i) == Dim(1)))
      return false;
  return true;
}

/// Multiply-adds a contraction does per row of its result (matmul, gemm,
/// conv; 0 for other ops), or nullopt where a dim it needs is not static.
std::optional<double> workPerRow(const Node &node) {
  if (!node.is(OpId::Matmul) && !node.is(OpId::Gemm) && !node.is(OpId::Conv))
    return 0.0;
  const TensorType &result = node.result(0)->type();
  const TensorType &lhs = node.operand(0)->type(), &rhs = node.operand(1)->type();
  if (!result.hasRank() || result.rank() == 0 || !lhs.hasRank() || !rhs.hasRank() ||
      lhs.rank() == 0 || rhs.rank() == 0)
    return std::nullopt;
  double perRow = 1;
  for (int64_t i = 1; i < result.rank(); ++i) {
    if (!result.dim(i).isStatic())
      return std::nullopt;
    perRow *= static_cast<double>(result.dim(i).size());
  }
  // The contraction's depth: a's last dim, gemm's k, a kernel's taps.
  std::vector<Dim> depth;
  if (node.is(OpId::Matmul))
    depth = {lhs.dim(lhs.rank() - 1)};
  else if (node.is(OpId::Gemm))
    depth = {lhs.dim(node.intAttr("trans_a") ? 0 : lhs.rank() - 1)};
  else
    for (int64_t i = 1; i < rhs.rank(); ++i)
      depth.push_back(rhs.dim(i));
  for (const Dim &d : depth) {
    if (!d.isStatic())
      return std::nullopt;
    perRow *= static_cast<double>(d.size());
  }
  return perRow;
}

/// What a partition costs of its own, in multiply-adds of a contraction:
/// two nonzero counts read back by the host, gathers, scatters and their
/// launches (~10-20 us at the kernels' rate of tens of GFLOP/s).
constexpr double kPartitionCost = double(1 << 20);
/// Rows assumed for a batch of unknown size.
constexpr double kAssumedRows = 8;

Branch branchOf(Value *value) {
  Branch branch{value, std::nullopt};
  std::string why;
  if (value->definingNode() && singleUse(value))
    branch.cone = rowwiseCone(*value, why);
  return branch;
}

/// The branch on rows `rows`.
Value *onRows(Builder &b, const Branch &branch, Value *rows, const std::string &suffix) {
  if (!branch.cone)
    return b.op("gather", {branch.value, rows});
  std::vector<Value *> inputs;
  for (Value *input : branch.cone->rowInputs)
    inputs.push_back(b.op("gather", {input, rows}));
  return cloneOnRows(*branch.cone, b, inputs, suffix);
}

/// Partitions the select `node` if it is per-sample and saves work; a
/// missed remark once per node (`reported`).
bool partition(Node &node, PassContext &context, std::set<const Node *> &reported) {
  auto missed = [&](const std::string &why) {
    if (reported.insert(&node).second)
      context.remark(kPass, Remark::Kind::Missed, node.location(),
                     "per-sample select stays: " + why);
    return false;
  };
  const TensorType &type = node.result(0)->type();
  Value *cond = node.operand(0);
  if (!type.hasRank() || type.rank() == 0 || !type.hasKnownDims() ||
      (type.dim(0).isStatic() && type.dim(0).size() <= 1) ||
      !perSample(cond->type(), type) || constantValue(cond) ||
      !(node.operand(1)->type() == type) || !(node.operand(2)->type() == type))
    return false; // not a per-sample choice (batch 1 stays host control flow)
  for (int64_t i = 1; i < type.rank(); ++i)
    if (!type.dim(i).isStatic())
      return missed("the sample's dims are not static");
  Branch taken = branchOf(node.operand(1)), skipped = branchOf(node.operand(2));
  bool takenWork = taken.cone && taken.cone->hasContraction;
  bool skippedWork = skipped.cone && skipped.cone->hasContraction;
  if (!takenWork && !skippedWork)
    return missed("neither branch has row-wise work of its own that a partition would save");
  // Where one branch only has work, the partition saves it on the samples
  // that take the other: a profile that saw none take it says it saves
  // nothing.
  std::optional<double> skips = context.profile.zeroFraction(*cond);
  if (skips && takenWork != skippedWork && *skips == (takenWork ? 0.0 : 1.0))
    return missed("the profile saw every sample take the branch with the work");
  // The cost model: the work saved per run (each branch's contractions on
  // the rows that do not take it; half the rows each way unless a profile
  // says otherwise) against what the partition costs of its own.
  if (!context.forcePartition) {
    double saved = 0, share = skips ? 1.0 - *skips : 0.5; // rows taking `taken`
    bool known = true;
    for (auto [branch, others] : {std::pair{&taken, 1.0 - share}, std::pair{&skipped, share}}) {
      if (!branch->cone)
        continue;
      for (const Node *n : branch->cone->nodes) {
        std::optional<double> work = workPerRow(*n);
        known = known && work.has_value();
        saved += others * work.value_or(0);
      }
    }
    double rows = type.dim(0).isStatic() ? double(type.dim(0).size()) : kAssumedRows;
    saved *= rows;
    if (known && saved < kPartitionCost) {
      char text[160];
      std::snprintf(text, sizeof(text),
                    "it would save ~%.3g multiply-adds per run, less than the partition costs "
                    "(~%.3g); --force-branch-batch partitions anyway",
                    saved, kPartitionCost);
      return missed(text);
    }
  }
  Builder b(*node.graph(), &context.diag);
  b.setInsertionPointAndLocation(&node);
  Value *takeRows = rowsWhere(b, cond);
  Value *skipRows = rowsWhere(b, b.op("not", {cond}));
  Value *out = zerosOfRows(b, type, cond);
  out = scatterRows(b, out, takeRows, onRows(b, taken, takeRows, ".taken"), "none");
  out = scatterRows(b, out, skipRows, onRows(b, skipped, skipRows, ".skipped"), "none");
  context.remark(kPass, Remark::Kind::Applied, node.location(),
                 "partitioned the batch: each branch runs on the samples that take it");
  takePlace(node.result(0), out);
  return true;
}

} // namespace

LogicalResult branchBatch(Module &module, PassContext &context) {
  std::set<const Node *> reported;
  // To a fixed point: a select nested in a branch is copied onto that
  // branch's samples, then partitioned in turn.
  for (bool again = true; again;) {
    // Later selects first: an outer select (an early exit) partitions
    // before the selects its branches hold, which then see only the
    // samples that reach them. One at a time: what a partition leaves
    // dead goes before the next.
    again = forEachGraph(module, [&](const std::vector<Node *> &nodes) {
      for (auto it = nodes.rbegin(); it != nodes.rend(); ++it)
        if ((*it)->is(OpId::Where) && (*it)->result(0)->hasUses() &&
            partition(**it, context, reported))
          return true;
      return false;
    });
    if (again && failed(canonicalize(module, context)))
      return failure();
  }
  return success();
}

} // namespace dlc
