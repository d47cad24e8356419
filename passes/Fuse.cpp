//===- Fuse.cpp - Group the ops of kernel graphs into fused kernels -------===//
//
// Every kernel graph (a graph that `split` outlined, which a `call` runs)
// is partitioned into groups; each group of two or more ops becomes one
// `fusion` node whose body a code generator compiles as one kernel, so the
// values inside a group never go through memory.
//
// Cost model. Ops are of five kinds:
//   elementwise  (add, exp, where, cast, ...)           cheap, per element
//   layout       (transpose, slice, pad, concat, expand, reshape, gather, ...)
//                                                       cheap: indexing only
//   reduction    (reduce_*, arg*, softmax, log_softmax, layer/instance/batch
//                 norm, lrn, cumsum)                   one pass over the input
//   contraction  (matmul, gemm, einsum, conv, conv_transpose)
//                                                       expensive, O(K) per element
//   opaque       (everything else: gather_nd, nonzero, recurrent, resize, ...)
// Groups are grown from consumers to producers (graph order reversed): a
// producer joins the group of its consumers when
//   1. all of its consumers are in that one group and it is not a graph
//      output: it is then computed inside the kernel and never stored, and
//      never computed twice (no producer is ever duplicated);
//   2. it is elementwise or layout, and does not feed the group's
//      contraction directly unless it is layout (an elementwise prologue of
//      a matmul would be recomputed once per output column; a transpose is
//      only an index change, folded into the contraction's indexing);
//   3. it is a reduction and the group holds no contraction (reductions
//      with their elementwise producers and consumers: softmax, norms);
//   4. it is a contraction, and the group holds none and no reduction: the
//      group is then the contraction's epilogue (bias, activation, residual
//      add, scale, clip).
// Opaque ops and constant-like nodes never join; constants a group reads
// are copied into its body.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Clone.h"
#include "ir/OpRegistry.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace dlc {
namespace {

enum class Kind { Elementwise, Layout, Reduction, Contraction, Opaque };

Kind kindOf(const Node &node) {
  const OpDef &def = node.def();
  if (def.has(OpTrait::ConstantLike) || def.hasRegions() || node.is(OpId::Call) ||
      def.has(OpTrait::DataDependentShape))
    return Kind::Opaque;
  if (def.has(OpTrait::Elementwise) && !node.is(OpId::Identity))
    return Kind::Elementwise;
  switch (node.id()) {
  case OpId::Matmul: case OpId::Gemm: case OpId::Einsum: case OpId::Conv:
  case OpId::ConvTranspose:
    return Kind::Contraction;
  case OpId::ReduceSum: case OpId::ReduceMean: case OpId::ReduceMax: case OpId::ReduceMin:
  case OpId::ReduceProd: case OpId::Argmax: case OpId::Argmin: case OpId::Softmax:
  case OpId::LogSoftmax: case OpId::LayerNorm: case OpId::InstanceNorm:
  case OpId::BatchNorm: case OpId::Lrn: case OpId::Cumsum:
    return Kind::Reduction;
  case OpId::GatherNd: case OpId::ReverseSequence:
    return Kind::Opaque;
  default:
    break;
  }
  if (def.has(OpTrait::Layout) || def.has(OpTrait::ShapeOnly))
    return Kind::Layout;
  return Kind::Opaque;
}

struct Group {
  std::vector<Node *> nodes; ///< in graph order once sorted
  int contractions = 0, reductions = 0;
};

class Fuser {
public:
  explicit Fuser(Graph &graph) : graph_(graph) {}

  /// Forms the groups, then outlines each into a fusion node. Returns the
  /// number of fusions made.
  int run() {
    std::vector<Node *> nodes;
    for (const auto &node : graph_.nodes())
      nodes.push_back(node.get());
    for (size_t i = 0; i < nodes.size(); ++i)
      position_[nodes[i]] = i;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it)
      place(**it);
    int made = 0;
    std::set<Group *> done;
    for (Node *node : nodes) {
      auto it = groupOf_.find(node);
      if (it == groupOf_.end() || !done.insert(it->second).second)
        continue;
      Group &group = *it->second;
      if (group.nodes.size() < 2)
        continue;
      std::sort(group.nodes.begin(), group.nodes.end(),
                [&](Node *a, Node *b) { return position_[a] < position_[b]; });
      outline(group);
      ++made;
    }
    return made;
  }

private:
  Group &newGroup(Node &node) {
    groups_.push_back(std::make_unique<Group>());
    Group &group = *groups_.back();
    add(group, node);
    return group;
  }

  void add(Group &group, Node &node) {
    group.nodes.push_back(&node);
    Kind kind = kindOf(node);
    group.contractions += kind == Kind::Contraction;
    group.reductions += kind == Kind::Reduction;
    groupOf_[&node] = &group;
  }

  /// Puts `node` in its consumers' group if the cost model allows, else in
  /// a group of its own (consumers come first: the graph is walked in
  /// reverse).
  void place(Node &node) {
    Kind kind = kindOf(node);
    if (kind == Kind::Opaque)
      return;
    Group *target = nullptr;
    bool feedsContraction = false, eligible = true;
    for (size_t i = 0; i < node.numResults() && eligible; ++i) {
      const Value *result = node.result(i);
      if (result->outputUses() > 0)
        eligible = false;
      for (const Node *user : result->users()) {
        auto it = groupOf_.find(user);
        if (it == groupOf_.end() || (target && it->second != target)) {
          eligible = false;
          break;
        }
        target = it->second;
        feedsContraction |= kindOf(*user) == Kind::Contraction;
      }
    }
    if (eligible && target && joins(kind, *target, feedsContraction)) {
      add(*target, node);
      return;
    }
    newGroup(node);
  }

  static bool joins(Kind kind, const Group &group, bool feedsContraction) {
    switch (kind) {
    case Kind::Elementwise:
      return !feedsContraction;
    case Kind::Layout:
      return true;
    case Kind::Reduction:
      return group.contractions == 0;
    case Kind::Contraction:
      return group.contractions == 0 && group.reductions == 0;
    case Kind::Opaque:
      break;
    }
    return false;
  }

  /// Replaces the group's nodes by one fusion node whose body holds them.
  void outline(const Group &group) {
    // Captures: values read from outside (constants are copied in);
    // results: values used after the group.
    Subgraph sub = subgraphOf(group.nodes);
    const std::vector<Value *> &captures = sub.inputs, &results = sub.outputs;
    const std::vector<Node *> &constants = sub.constants;
    auto body = std::make_unique<Graph>();
    ValueMap mapping;
    for (Value *capture : captures)
      mapping[capture] = body->addInput(capture->type(), capture->name());
    for (const Node *constant : constants)
      cloneNode(*constant, *body, nullptr, mapping);
    for (const Node *node : group.nodes)
      cloneNode(*node, *body, nullptr, mapping);
    std::vector<Value *> outputs;
    std::vector<TensorType> types;
    for (Value *result : results) {
      outputs.push_back(mapping.at(result));
      types.push_back(result->type());
    }
    body->setOutputs(std::move(outputs));
    std::map<std::string, Attribute, std::less<>> attrs;
    attrs.emplace("body", Attribute(std::move(body)));
    Node *last = group.nodes.back();
    Location location = last->location();
    Node *fusion = graph_.addNode(*lookupOp("fusion"), {}, std::move(types), std::move(attrs),
                                  captures, location, last);
    for (size_t i = 0; i < results.size(); ++i) {
      fusion->result(i)->setName(results[i]->name());
      results[i]->replaceAllUsesWith(fusion->result(i));
    }
    for (auto it = group.nodes.rbegin(); it != group.nodes.rend(); ++it)
      graph_.eraseNode(*it);
  }

  Graph &graph_;
  std::unordered_map<const Node *, size_t> position_;
  std::unordered_map<const Node *, Group *> groupOf_;
  std::vector<std::unique_ptr<Group>> groups_;
};

} // namespace

LogicalResult fuse(Module &module, PassContext &) {
  std::set<std::string> kernels = calledGraphs(module);
  for (const auto &graph : module.graphs()) {
    if (!kernels.count(graph->name()))
      continue;
    Fuser(*graph).run();
    // Constants copied into fusion bodies and read by nothing else.
    std::vector<Node *> dead;
    for (const auto &node : graph->nodes())
      if (node->def().has(OpTrait::ConstantLike) && !node->result(0)->hasUses())
        dead.push_back(node.get());
    for (Node *node : dead)
      graph->eraseNode(node);
  }
  return success();
}

} // namespace dlc
