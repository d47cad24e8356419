//===- SinkIntoBranches.cpp - Work only one branch needs moves into it ----===//
//
// A node whose results only one branch of an `if` reads moves into that
// branch: when the other branch runs (a gate that skips a block, an early
// exit), it costs nothing, and the condition is all that runs before the
// branch. The node's operands become captures of the `if` where they are
// not already. Producers that then feed only that branch follow (the graph
// is visited in reverse, to a fixed point), so a whole skipped block moves.
//
// Results are unchanged when they are produced: a node now runs only when
// its branch does (one that would fail at run time fails only then).
// Nodes with nested graphs and constants stay.
//
//===----------------------------------------------------------------------===//

#include "ir/Clone.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"

#include <algorithm>
#include <vector>

namespace dlc {

namespace {

constexpr std::string_view kPass = "sink-into-branches";

/// The one `if` whose single branch reads `node`'s results (through
/// captures only), and that branch; false if there is no such branch.
bool soleBranch(const Node &node, Node *&gate, Graph *&branch) {
  gate = nullptr;
  branch = nullptr;
  for (const Value *result : node.results()) {
    if (result->outputUses() > 0)
      return false;
    for (Node *user : result->users()) {
      if (!user->is(OpId::If) || (gate && gate != user))
        return false;
      gate = user;
      if (std::find(user->operands().begin(), user->operands().end(), result) !=
          user->operands().end())
        return false; // the condition itself
    }
  }
  if (!gate)
    return false;
  const std::vector<Value *> &captures = gate->captures();
  for (Graph *region : gate->regions()) {
    size_t base = region->numInputs() - captures.size();
    bool reads = false;
    for (size_t c = 0; c < captures.size(); ++c)
      if (captures[c]->definingNode() == &node && region->input(base + c)->hasUses())
        reads = true;
    if (!reads)
      continue;
    if (branch)
      return false; // both branches read it
    branch = region;
  }
  return branch != nullptr;
}

/// Moves `node` into `branch` of `gate`.
void sink(Node &node, Node &gate, Graph &branch) {
  auto captureIndex = [&](const Value *value) {
    const std::vector<Value *> &captures = gate.captures();
    return static_cast<size_t>(std::find(captures.begin(), captures.end(), value) -
                               captures.begin());
  };
  ValueMap mapping;
  for (Value *operand : node.operands()) {
    if (captureIndex(operand) == gate.captures().size())
      gate.addCapture(operand);
    size_t base = branch.numInputs() - gate.captures().size();
    mapping[operand] = branch.input(base + captureIndex(operand));
  }
  Node *first = branch.nodes().empty() ? nullptr : branch.nodes().front().get();
  cloneNode(node, branch, first, mapping);
  // The branch reads the copy; the captures of the moved results go.
  for (size_t c = gate.captures().size(); c-- > 0;) {
    Value *captured = gate.captures()[c];
    if (captured->definingNode() != &node)
      continue;
    size_t base = branch.numInputs() - gate.captures().size();
    branch.input(base + c)->replaceAllUsesWith(mapping.at(captured));
    gate.eraseCapture(c);
  }
  node.graph()->eraseNode(&node);
}

bool sinkIn(Graph &graph, PassContext &context) {
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    std::vector<Node *> nodes;
    for (const auto &node : graph.nodes())
      nodes.push_back(node.get());
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      Node &node = **it;
      if (!node.regions().empty() || node.def().has(OpTrait::ConstantLike))
        continue;
      Node *gate;
      Graph *branch;
      if (!soleBranch(node, gate, branch))
        continue;
      context.remark(kPass, Remark::Kind::Applied, node.location(),
                     "moved '" + std::string(node.opName()) + "' into the " +
                         std::string(branch == gate->regions().back() ? "then" : "else") +
                         " branch, the only one that reads it");
      sink(node, *gate, *branch);
      again = changed = true;
      break; // the node list changed: start over
    }
  }
  return changed;
}

} // namespace

LogicalResult sinkIntoBranches(Module &module, PassContext &context) {
  std::vector<Graph *> graphs;
  for (const auto &graph : module.graphs())
    graphs.push_back(graph.get());
  // Top-level graphs first, then every nested graph (moved nodes may move
  // on into branches nested in their new graph).
  for (size_t i = 0; i < graphs.size(); ++i) {
    sinkIn(*graphs[i], context);
    for (const auto &node : graphs[i]->nodes())
      for (Graph *region : node->regions())
        graphs.push_back(region);
  }
  return success();
}

} // namespace dlc
