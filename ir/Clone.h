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

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

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

/// What a set of nodes of one graph exchanges with the rest of it, for
/// passes that outline them (split's kernels, fuse's fused kernels).
struct Subgraph {
  /// Values read from outside (operands and captures), in first-use order;
  /// constant-like nodes' results are not among them ...
  std::vector<Value *> inputs;
  /// ... but their nodes are, to be copied in.
  std::vector<Node *> constants;
  /// Results used after the nodes (by other nodes or as graph outputs).
  std::vector<Value *> outputs;
};
Subgraph subgraphOf(const std::vector<Node *> &nodes);

/// The names of the top-level graphs that `call` nodes run (kernels).
std::set<std::string> calledGraphs(const Module &module);

} // namespace dlc

#endif // DLC_IR_CLONE_H
