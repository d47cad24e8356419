//===- EliminateDeadCode.cpp - Remove what nothing reads ------------------===//
//
// 1. Walk every graph bottom-up (nested graphs first, nodes in reverse) and
//    erase each node none of whose results is used; every op is pure.
// 2. For an `if`, drop each result nobody reads together with the branch
//    outputs that produce it; for a `loop`, each scan output nobody reads.
//    Then clean the nested graphs.
// 3. Drop captures that no nested graph reads (and their graph inputs).
// 4. Drop module weights that no `weight` node references.
// Reverse order means one sweep erases whole dead chains.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/OpRegistry.h"

#include <set>

namespace dlc {
namespace {

bool anyResultUsed(const Node &node) {
  for (size_t i = 0; i < node.numResults(); ++i)
    if (node.result(i)->hasUses())
      return true;
  return false;
}

void cleanGraph(Graph &graph);

/// Drops unused `if` results and the branch outputs behind them.
void dropUnusedIfResults(Node &node) {
  for (size_t i = node.numResults(); i-- > 0;) {
    if (node.result(i)->hasUses())
      continue;
    for (Graph *branch : node.regions())
      branch->eraseOutput(i);
    node.eraseResult(i);
  }
}

/// Drops loop scan outputs nobody reads, with the body outputs that stack
/// them. (Carried values feed the next iteration, so they stay.)
void dropUnusedScans(Node &node) {
  size_t carried = node.numOperands() - 2;
  Graph &body = *node.regions()[0];
  for (size_t i = node.numResults(); i-- > carried;) {
    if (node.result(i)->hasUses())
      continue;
    body.eraseOutput(1 + i);
    node.eraseResult(i);
  }
}

/// Drops captures whose graph input no nested graph uses.
void dropUnusedCaptures(Node &node) {
  std::vector<Graph *> regions = node.regions();
  for (size_t i = node.captures().size(); i-- > 0;) {
    bool used = false;
    for (Graph *region : regions) {
      size_t input = region->numInputs() - node.captures().size() + i;
      used |= region->input(input)->hasUses();
    }
    if (!used)
      node.eraseCapture(i);
  }
}

void cleanGraph(Graph &graph) {
  std::vector<Node *> nodes;
  for (const auto &node : graph.nodes())
    nodes.push_back(node.get());
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node &node = **it;
    if (!anyResultUsed(node)) {
      graph.eraseNode(&node);
      continue;
    }
    if (node.is(OpId::If))
      dropUnusedIfResults(node);
    if (node.is(OpId::Loop))
      dropUnusedScans(node);
    for (Graph *region : node.regions())
      cleanGraph(*region);
    if (!node.captures().empty())
      dropUnusedCaptures(node);
  }
}

void collectWeightNames(const Graph &graph, std::set<std::string> &names) {
  for (const auto &node : graph.nodes()) {
    if (node->is(OpId::Weight))
      names.insert(node->stringAttr("name"));
    for (Graph *region : node->regions())
      collectWeightNames(*region, names);
  }
}

} // namespace

LogicalResult eliminateDeadCode(Module &module, PassContext &) {
  for (const auto &graph : module.graphs())
    cleanGraph(*graph);
  std::set<std::string> used;
  for (const auto &graph : module.graphs())
    collectWeightNames(*graph, used);
  std::vector<std::string> unused;
  for (const Weight &weight : module.weights())
    if (!used.count(weight.name))
      unused.push_back(weight.name);
  for (const std::string &name : unused)
    module.eraseWeight(name);
  return success();
}

} // namespace dlc
