//===- Clone.h - Copying nodes and graphs ---------------------*- C++ -*-===//
//
// Deep copies for rewrites that duplicate or inline IR: a node (with its
// nested graphs) into another place, a whole graph. Operands and captures
// are remapped through a value map that the copy extends with its results.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_CLONE_H
#define DLC_IR_CLONE_H

#include "ir/Graph.h"

#include <unordered_map>

namespace dlc {

using ValueMap = std::unordered_map<const Value *, Value *>;

/// Copies `node` into `dest` before `before` (null appends). Operands and
/// captures found in `mapping` are replaced; others are kept (they must
/// belong to `dest`). The copy's results are added to `mapping`.
Node *cloneNode(const Node &node, Graph &dest, Node *before, ValueMap &mapping);

/// A deep copy of `graph` (inputs, nodes, outputs, names), unowned.
std::unique_ptr<Graph> cloneGraph(const Graph &graph);

/// Copies the nodes of `source` into `dest` before `before`, with
/// `source`'s inputs replaced by `inputs`. Returns the values that
/// correspond to `source`'s outputs.
std::vector<Value *> inlineGraph(const Graph &source, Graph &dest, Node *before,
                                 const std::vector<Value *> &inputs);

} // namespace dlc

#endif // DLC_IR_CLONE_H
