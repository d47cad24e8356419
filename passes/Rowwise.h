//===- Rowwise.h - Proving that work acts on each row alone ---*- C++ -*-===//
//
// The analysis the dynamic-network rewrites share: a value computed row by
// row (each row of it, along dim 0, depends only on the same row of the
// values it reads; weights and other row-free values are read whole) can be
// computed on any subset of the rows, e.g. the tokens routed to one expert
// or the samples that take one branch, and scattered back.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PASSES_ROWWISE_H
#define DLC_PASSES_ROWWISE_H

#include "ir/Builder.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dlc {

/// The nodes that compute one value and nothing else, proven row-wise.
struct RowwiseCone {
  /// In graph order; the value's node last. Each node's results are used
  /// only inside the cone (the last node's value aside).
  std::vector<Node *> nodes;
  /// Values from outside whose rows the cone reads (dim 0 is the rows).
  std::vector<Value *> rowInputs;
  /// Whether some node does real work (matmul, gemm, conv): what a rewrite that
  /// runs the cone on fewer rows saves.
  bool hasContraction = false;
};

/// The exclusive cone of `value` (the nodes only it uses, constants
/// excluded) if every node of it acts on rows alone; otherwise nullopt and
/// `why` says which node does not. `value` needs a rank and a dim 0 that is
/// not 1.
std::optional<RowwiseCone> rowwiseCone(Value &value, std::string &why);

/// Copies `cone` at `builder`'s insertion point with rowInputs[i] replaced
/// by rows[i] (the same values on other rows, e.g. gathered); returns the
/// copy of the value. Result types are inferred anew (fresh row counts are
/// unknown until infer-shapes names them); copies are named after their
/// originals with `suffix` appended.
Value *cloneOnRows(const RowwiseCone &cone, Builder &builder,
                   const std::vector<Value *> &rows, const std::string &suffix);

//===- Walking the module -------------------------------------------------===//

/// Calls `visit` with each graph's nodes, top-level graphs first, a nested
/// graph after the graph that holds it; each list is taken just before its
/// visit, so rewrites may add nodes while they walk. Stops, returning true,
/// when `visit` returns true.
bool forEachGraph(Module &module, const std::function<bool(const std::vector<Node *> &)> &visit);

//===- Sums of terms ------------------------------------------------------===//

/// Used once, by a node (not a graph output).
bool singleUse(const Value *value);
/// `sum` is an add whose result is not itself a term of a bigger add tree.
bool isSumRoot(const Value &sum);
/// The terms of the add tree rooted at `sum` (inner adds used once, no
/// broadcasting), left to right; the inner sums (root included) go to
/// `sums` if given.
std::vector<Value *> sumTerms(Value &sum, std::set<const Value *> *sums = nullptr);

//===- Building the partitioned form --------------------------------------===//

/// The indices (i64[n]) of the rows where `perRow` ([rows] or [rows, 1,
/// ...]) is nonzero (true).
Value *rowsWhere(Builder &builder, Value *perRow);
/// Zeros of `type` ([rows, static dims...]), rows taken from `perRow`
/// ([rows, 1, ...] of type's rank).
Value *zerosOfRows(Builder &builder, const TensorType &type, Value *perRow);
/// `acc` with rows `rows` (i64[n]) replaced by (reduction "none") or added
/// to (reduction "add") `updates` ([n, ...]).
Value *scatterRows(Builder &builder, Value *acc, Value *rows, Value *updates,
                   const char *reduction);
/// `replacement` takes `value`'s place and name (a graph output's name is
/// the model's).
void takePlace(Value *value, Value *replacement);

} // namespace dlc

#endif // DLC_PASSES_ROWWISE_H
