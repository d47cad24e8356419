//===- EliminateCommonSubexpressions.cpp - Reuse identical nodes ----------===//
//
// 1. In each graph, in order, key every node without nested graphs by its op,
//    operands (sorted for commutative ops) and attributes.
// 2. A node whose key matches an earlier node of the same graph, with equal
//    attributes and result types, has its results replaced by that node's
//    and is erased. Every op is pure, so equal inputs give equal outputs.
// 3. Nested graphs are processed on their own: they cannot name values of
//    an enclosing graph.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/OpRegistry.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace dlc {
namespace {

std::vector<Value *> keyOperands(const Node &node) {
  std::vector<Value *> operands = node.operands();
  if (node.def().has(OpTrait::Commutative))
    std::sort(operands.begin(), operands.end(), std::less<Value *>());
  return operands;
}

size_t hashNode(const Node &node) {
  size_t hash = static_cast<size_t>(node.id());
  auto mix = [&](size_t value) {
    hash ^= value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2);
  };
  for (Value *operand : keyOperands(node))
    mix(std::hash<Value *>()(operand));
  for (const auto &[name, value] : node.attrs())
    mix(std::hash<std::string>()(name));
  return hash;
}

bool sameNode(const Node &a, const Node &b) {
  if (a.id() != b.id() || keyOperands(a) != keyOperands(b) ||
      a.attrs().size() != b.attrs().size() || a.numResults() != b.numResults())
    return false;
  for (auto ia = a.attrs().begin(), ib = b.attrs().begin();
       ia != a.attrs().end(); ++ia, ++ib)
    if (ia->first != ib->first || !ia->second.sameValue(ib->second))
      return false;
  for (size_t i = 0; i < a.numResults(); ++i)
    if (a.result(i)->type() != b.result(i)->type())
      return false;
  return true;
}

/// Replaces `node` by an identical earlier node of its graph, if any.
void process(Node &node,
             std::unordered_map<Graph *, std::unordered_multimap<size_t, Node *>> &seen) {
  if (node.def().hasRegions())
    return;
  auto &earlier = seen[node.graph()];
  size_t hash = hashNode(node);
  auto [begin, end] = earlier.equal_range(hash);
  for (auto it = begin; it != end; ++it) {
    Node *match = it->second;
    if (!sameNode(*match, node))
      continue;
    for (size_t i = 0; i < node.numResults(); ++i)
      node.result(i)->replaceAllUsesWith(match->result(i));
    node.graph()->eraseNode(&node);
    return;
  }
  earlier.emplace(hash, &node);
}

} // namespace

LogicalResult eliminateCommonSubexpressions(Module &module, PassContext &) {
  std::unordered_map<Graph *, std::unordered_multimap<size_t, Node *>> seen;
  module.walk([&](Node &node) { process(node, seen); });
  return success();
}

} // namespace dlc
