//===- Verifier.cpp - Check that IR is well formed -----------------------===//

#include "ir/Verifier.h"

#include "ir/OpRegistry.h"

#include <functional>
#include <map>
#include <set>

namespace dlc {
namespace {

/// A human-readable handle for a value in messages.
std::string describe(const Value *value) {
  if (!value->name().empty())
    return "'%" + value->name() + "'";
  if (value->isGraphInput())
    return "input " + std::to_string(value->index());
  return "result " + std::to_string(value->index()) + " of '" +
         std::string(value->definingNode()->opName()) + "'";
}

/// Where to report problems of `graph` that belong to no node.
Location graphLocation(const Graph &graph) {
  return graph.parentNode() ? graph.parentNode()->location() : Location{};
}

std::string graphName(const Graph &graph) {
  if (!graph.name().empty())
    return "graph @" + graph.name();
  if (const Node *parent = graph.parentNode())
    for (const auto &[name, attr] : parent->attrs())
      if (attr.kind() == AttrKind::Graph && &attr.getGraph() == &graph)
        return "graph '" + name + "' of '" + std::string(parent->opName()) +
               "'";
  return "graph";
}

bool isEnclosing(const Graph *outer, const Graph &graph) {
  for (const Node *parent = graph.parentNode(); parent;
       parent = parent->graph()->parentNode())
    if (parent->graph() == outer)
      return true;
  return false;
}

class Verifier {
public:
  explicit Verifier(Diagnostics &diag) : diag_(diag) {}

  bool graph(const Graph &graph) {
    bool ok = true;
    std::set<const Value *> defined;
    for (const auto &input : graph.inputs())
      defined.insert(input.get());
    for (const auto &node : graph.nodes()) {
      ok &= this->node(*node, graph, defined);
      for (size_t i = 0; i < node->numResults(); ++i)
        defined.insert(node->result(i));
    }
    for (const Value *output : graph.outputs())
      if (!defined.count(output)) {
        error(graphLocation(graph),
              graphName(graph) + " returns " + describe(output) +
                  ", which is not defined in it");
        ok = false;
      }
    return ok;
  }

private:
  bool node(const Node &node, const Graph &graph,
            const std::set<const Value *> &defined) {
    std::string op = "'" + std::string(node.opName()) + "' op ";
    bool ok = true;
    auto checkUse = [&](const Value *value, const std::string &role) {
      if (defined.count(value))
        return;
      ok = false;
      if (value->graph() == &graph)
        error(node.location(), op + role + " " + describe(value) +
                                   " is used before its definition");
      else if (isEnclosing(value->graph(), graph))
        error(node.location(),
              op + role + " " + describe(value) +
                  " belongs to an enclosing graph; pass it in as a capture");
      else
        error(node.location(),
              op + role + " " + describe(value) + " belongs to another graph");
    };
    for (size_t i = 0; i < node.numOperands(); ++i)
      checkUse(node.operand(i), "operand " + std::to_string(i));
    for (size_t i = 0; i < node.captures().size(); ++i)
      checkUse(node.captures()[i], "capture " + std::to_string(i));
    for (Graph *region : node.regions())
      ok &= this->graph(*region);
    if (!ok)
      return false; // inference would read undefined or malformed values

    std::optional<std::vector<TensorType>> inferred =
        inferResultTypes(node, diag_);
    if (!inferred)
      return false;
    if (inferred->size() != node.numResults()) {
      error(node.location(), op + "has " + std::to_string(node.numResults()) +
                                 " results, expected " +
                                 std::to_string(inferred->size()));
      return false;
    }
    for (size_t i = 0; i < inferred->size(); ++i) {
      const TensorType &declared = node.result(i)->type();
      if (!(*inferred)[i].compatibleWith(declared)) {
        error(node.location(), op + "result " + std::to_string(i) +
                                   " is declared " + declared.str() +
                                   " but inferred " + (*inferred)[i].str());
        ok = false;
      }
    }
    return ok;
  }

  void error(const Location &location, std::string message) {
    (void)diag_.error(location, std::move(message));
  }

  Diagnostics &diag_;
};

} // namespace

LogicalResult verifyGraph(const Graph &graph, Diagnostics &diag) {
  return Verifier(diag).graph(graph) ? success() : failure();
}

namespace {

/// The `call` nodes of a graph, nested graphs included.
void collectCalls(const Graph &graph, std::vector<const Node *> &calls) {
  for (const auto &node : graph.nodes()) {
    if (node->is(OpId::Call))
      calls.push_back(node.get());
    for (const Graph *region : node->regions())
      collectCalls(*region, calls);
  }
}

/// Calls must not recurse: every run of a graph terminates in a bounded
/// number of calls. Depth-first search for a cycle in the call graph.
bool checkCallCycles(const Module &module, Diagnostics &diag) {
  std::map<const Graph *, int> state; // 1 = on the stack, 2 = done
  std::function<bool(const Graph &)> visit = [&](const Graph &graph) {
    state[&graph] = 1;
    std::vector<const Node *> calls;
    collectCalls(graph, calls);
    for (const Node *call : calls) {
      const Attribute *callee = call->attr("callee");
      const Graph *target =
          callee && callee->kind() == AttrKind::String ? module.graph(callee->getString()) : nullptr;
      if (!target)
        continue; // inference reports unknown callees
      if (state[target] == 1) {
        (void)diag.error(call->location(), "'call' op calls @" + target->name() +
                                               ", which is already running (calls "
                                               "must not recurse)");
        return false;
      }
      if (state[target] == 0 && !visit(*target))
        return false;
    }
    state[&graph] = 2;
    return true;
  };
  for (const auto &graph : module.graphs())
    if (state[graph.get()] == 0 && !visit(*graph))
      return false;
  return true;
}

} // namespace

LogicalResult verifyModule(const Module &module, Diagnostics &diag) {
  bool ok = true;
  for (const auto &graph : module.graphs())
    ok &= succeeded(verifyGraph(*graph, diag));
  if (ok)
    ok = checkCallCycles(module, diag);
  return ok ? success() : failure();
}

} // namespace dlc
