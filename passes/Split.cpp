//===- Split.cpp - Conditional-computation splitting ----------------------===//
//
// After DyCL: cut every graph at control flow and at data-dependent sizes
// into straight-line kernel graphs, called from what remains: the host
// program (control flow, host steps, calls).
//
// 1. A node is a host node if it has nested graphs (if, loop; not a fused
//    kernel, which is kernel work), is a call,
//    reads only a shape (shape), or decides a size from tensor data: its op
//    has data-dependent output sizes (nonzero, unique, ...), or a result
//    dim depends on a data-dependent symbol no operand has (a reshape to a
//    computed shape, range to a computed limit, topk with a run-time k).
//    Every other node is kernel work.
// 2. Nested graphs are split first (a loop body becomes host code calling
//    its own kernels).
// 3. Nodes move as early as their operands allow, by host steps: kernel
//    work that needs no host result first, then the host nodes that need
//    only that, then the kernel work those enable, and so on. Each run
//    between host steps holds all the work that can run there (a routed
//    layer: one kernel computes every expert's mask, the host binds each
//    expert's rows, one kernel runs all experts).
// 4. In each graph, each maximal run of consecutive kernel nodes becomes a
//    new top-level graph `@<graph>.k<N>` whose inputs are the values the run
//    reads from outside and whose outputs are the values read after it; the
//    run is replaced by one `call` of it. Constants and weights the run
//    reads are copied into the kernel rather than passed in.
// 5. Graphs that are already called (kernels) are not split again, so the
//    pass is idempotent.
// 0. First, weights and small constants that a nested graph receives as
//    captures are copied into it (the capture goes): a loop body's kernels
//    then read their weights as weights, which native kernels pack once,
//    instead of as arguments that may change from call to call.
// The interpreter runs the result (`call` runs the callee), so splitting is
// checked against the unsplit model by running both.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Clone.h"
#include "ir/OpRegistry.h"

#include <algorithm>
#include <map>
#include <set>

namespace dlc {
namespace {

void collectDataSymbols(const TensorType &type, std::set<std::string> &names) {
  if (!type.hasRank())
    return;
  for (const Dim &dim : type.dims())
    if (dim.dependsOnData()) {
      std::set<std::string> all;
      dim.expr().collectSymbols(all);
      names.insert(all.begin(), all.end());
    }
}

/// True if a result dim uses a data-dependent symbol that no operand or
/// capture type has: the node decides that size.
bool introducesDataSize(const Node &node) {
  std::set<std::string> known, produced;
  for (const Value *operand : node.operands())
    collectDataSymbols(operand->type(), known);
  for (const Value *capture : node.captures())
    collectDataSymbols(capture->type(), known);
  for (size_t i = 0; i < node.numResults(); ++i)
    collectDataSymbols(node.result(i)->type(), produced);
  return std::any_of(produced.begin(), produced.end(),
                     [&](const std::string &name) { return !known.count(name); });
}

bool isHostNode(const Node &node) {
  if (node.is(OpId::Fusion)) // a fused kernel: kernel work
    return false;
  return node.def().hasRegions() || node.is(OpId::Call) || node.is(OpId::Shape) ||
         node.def().has(OpTrait::DataDependentShape) || introducesDataSize(node);
}

class Splitter {
public:
  explicit Splitter(Module &module) : module_(module) {}

  void graph(Graph &graph, const std::string &prefix) {
    std::vector<Node *> nodes;
    for (const auto &node : graph.nodes())
      nodes.push_back(node.get());
    for (Node *node : nodes)
      if (!node->is(OpId::Fusion)) // fused kernel bodies stay whole
        for (Graph *region : node->regions())
          this->graph(*region, prefix);
    nodes = hostFirst(graph, nodes);
    std::vector<Node *> run, constants;
    for (Node *node : nodes) {
      if (node->def().has(OpTrait::ConstantLike)) {
        constants.push_back(node); // copied into the kernels that read them
        continue;
      }
      if (isHostNode(*node)) {
        outline(graph, run, prefix);
        run.clear();
      } else {
        run.push_back(node);
      }
    }
    outline(graph, run, prefix);
    // Constants now copied into every kernel that read them.
    for (Node *constant : constants)
      if (!constant->result(0)->hasUses())
        graph.eraseNode(constant);
  }

private:
  /// `nodes` (graph order) reordered by host depth: the most host nodes on
  /// a path into a node. Kernel work at depth d runs after the host nodes
  /// at depth d-1 and before those at depth d (each node as early as its
  /// operands allow, program order kept within a step); the graph is
  /// reordered to match.
  static std::vector<Node *> hostFirst(Graph &graph, const std::vector<Node *> &nodes) {
    std::map<const Node *, int64_t> depth;
    std::vector<std::pair<int64_t, Node *>> keyed;
    for (Node *node : nodes) {
      int64_t d = 0;
      auto from = [&](const Value *value) {
        auto it = depth.find(value->definingNode());
        if (it != depth.end())
          d = std::max(d, it->second + (isHostNode(*it->first) ? 1 : 0));
      };
      for (const Value *operand : node->operands())
        from(operand);
      for (const Value *capture : node->captures())
        from(capture);
      depth[node] = d;
      keyed.emplace_back(2 * d + (isHostNode(*node) ? 1 : 0), node);
    }
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    std::vector<Node *> order;
    for (auto &[key, node] : keyed) {
      graph.moveNode(node, nullptr);
      order.push_back(node);
    }
    return order;
  }

  std::string kernelName(const std::string &prefix) {
    while (true) {
      std::string name = prefix + ".k" + std::to_string(counter_++);
      if (!module_.graph(name))
        return name;
    }
  }

  void outline(Graph &graph, const std::vector<Node *> &run,
               const std::string &prefix) {
    if (run.empty())
      return;
    Subgraph sub = subgraphOf(run);
    const std::vector<Value *> &inputs = sub.inputs, &outputs = sub.outputs;
    const std::vector<Node *> &constants = sub.constants;
    if (outputs.empty())
      return; // dead: dce's business

    std::string name = kernelName(prefix);
    Graph &kernel = *module_.addGraph(name);
    ValueMap mapping;
    for (Value *input : inputs)
      mapping[input] = kernel.addInput(input->type(), input->name());
    for (Node *constant : constants)
      cloneNode(*constant, kernel, nullptr, mapping);
    for (Node *node : run)
      cloneNode(*node, kernel, nullptr, mapping);
    std::vector<Value *> kernelOutputs;
    std::vector<TensorType> types;
    for (Value *output : outputs) {
      kernelOutputs.push_back(mapping.at(output));
      types.push_back(output->type());
    }
    kernel.setOutputs(std::move(kernelOutputs));

    std::map<std::string, Attribute, std::less<>> attrs;
    attrs.emplace("callee", Attribute(name));
    Node *call = graph.addNode(*lookupOp("call"), inputs, std::move(types),
                               std::move(attrs), {}, run.front()->location(),
                               run.front());
    for (size_t i = 0; i < outputs.size(); ++i) {
      call->result(i)->setName(outputs[i]->name());
      outputs[i]->replaceAllUsesWith(call->result(i));
    }
    for (auto it = run.rbegin(); it != run.rend(); ++it)
      graph.eraseNode(*it);
  }

  Module &module_;
  int counter_ = 0;
};

/// Constants larger than this stay captures (a copy per nested graph would
/// duplicate their bytes); weights are referenced by name and always move.
constexpr int64_t kMaxCopiedConstantBytes = 1024;

/// Whether `node` is a weight, or a constant small enough to copy.
bool copyable(const Node &node) {
  if (node.is(OpId::Weight))
    return true;
  const Attribute *value = node.is(OpId::Constant) ? node.attr("value") : nullptr;
  return value && value->kind() == AttrKind::Tensor &&
         static_cast<int64_t>(value->getTensor().bytes().size()) <= kMaxCopiedConstantBytes;
}

/// Step 0: in `graph` and the graphs nested in it (outermost first, so a
/// copy moves on inward), captures of copyable nodes become copies of the
/// node inside every nested graph that reads them.
void copyConstantCaptures(Graph &graph) {
  for (const auto &owned : graph.nodes()) {
    Node &node = *owned;
    for (size_t i = node.captures().size(); i-- > 0;) {
      const Node *def = node.captures()[i]->definingNode();
      if (!def || !copyable(*def))
        continue;
      for (Graph *region : node.regions()) {
        Value *input = region->input(region->numInputs() - node.captures().size() + i);
        if (!input->hasUses())
          continue;
        ValueMap mapping;
        Node *copy = cloneNode(*def, *region,
                               region->nodes().empty() ? nullptr : region->nodes().front().get(),
                               mapping);
        input->replaceAllUsesWith(copy->result(0));
      }
      node.eraseCapture(i);
    }
    for (Graph *region : node.regions())
      copyConstantCaptures(*region);
  }
}

} // namespace

LogicalResult split(Module &module, PassContext &) {
  std::set<std::string> kernels = calledGraphs(module);
  for (const auto &graph : module.graphs())
    if (!kernels.count(graph->name()))
      copyConstantCaptures(*graph);
  std::vector<Graph *> programs;
  for (const auto &graph : module.graphs())
    if (!kernels.count(graph->name()))
      programs.push_back(graph.get());
  Splitter splitter(module);
  for (Graph *graph : programs)
    splitter.graph(*graph, graph->name());
  return success();
}

} // namespace dlc
