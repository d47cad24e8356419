//===- InferShapes.cpp - Propagate symbolic shapes through the module -----===//
//
// 1. Walk each graph in order. Before a node with nested graphs is typed,
//    its graphs' inputs take the types of what flows into them (captures;
//    a loop's carried values) and their nodes are typed, recursively.
// 2. Each node's results get the more precise of their declared type and
//    the type inference gives from the (already refined) operands: inferred
//    where it knows a dim, declared where only the exporter did.
// 3. A loop-carried value keeps its initial type if the body returns that
//    type for it; otherwise the body input becomes the join of the two and
//    the body is typed again from its original types.
// 4. A result dim still unknown although every operand's shape is fully
//    known can only depend on data (nonzero's count, a loop's trip count,
//    which branch an `if` took, a reshape to a computed shape): it gets a
//    fresh data-dependent symbol (`?nonzero0`), which the host program
//    binds at run time and users of the value inherit. All scan outputs of
//    a loop share one trip-count symbol; a loop that runs a constant number
//    of times gets it as a static size.
// Symbols are named deterministically, in walk order, never reusing a name
// the module already has.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/OpRegistry.h"

#include <set>

namespace dlc {
namespace {

/// Per dim, the more precise of the two (static, then symbolic, then
/// unknown); on two different known dims, `preferred`.
TensorType refine(const TensorType &preferred, const TensorType &other) {
  if (!preferred.hasRank())
    return other.hasRank() ? other : preferred;
  if (!other.hasRank() || other.rank() != preferred.rank())
    return preferred;
  std::vector<Dim> dims = preferred.dims();
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dim &alt = other.dim(i);
    if (dims[i].isUnknown() || (alt.isStatic() && !dims[i].isStatic()))
      dims[i] = alt;
  }
  return TensorType(preferred.dtype(), std::move(dims));
}

void collectSymbols(const TensorType &type, std::set<std::string> &names) {
  if (type.hasRank())
    for (const Dim &dim : type.dims())
      if (dim.isSymbolic())
        dim.expr().collectSymbols(names);
}

void collectSymbols(const Graph &graph, std::set<std::string> &names) {
  for (const auto &input : graph.inputs())
    collectSymbols(input->type(), names);
  for (const auto &node : graph.nodes()) {
    for (size_t i = 0; i < node->numResults(); ++i)
      collectSymbols(node->result(i)->type(), names);
    for (Graph *region : node->regions())
      collectSymbols(*region, names);
  }
}

/// Every value of a graph, nested graphs included, with its type: what a
/// loop body is reset to before it is typed again.
using Snapshot = std::vector<std::pair<Value *, TensorType>>;

void snapshot(Graph &graph, Snapshot &out) {
  for (const auto &input : graph.inputs())
    out.emplace_back(input.get(), input->type());
  for (const auto &node : graph.nodes()) {
    for (size_t i = 0; i < node->numResults(); ++i)
      out.emplace_back(node->result(i), node->result(i)->type());
    for (Graph *region : node->regions())
      snapshot(*region, out);
  }
}

class ShapeInference {
public:
  ShapeInference(Module &module, Diagnostics &diag) : diag_(diag) {
    for (const auto &graph : module.graphs())
      collectSymbols(*graph, taken_);
  }

  LogicalResult graph(Graph &graph) {
    for (const auto &owned : graph.nodes())
      if (failed(node(*owned)))
        return failure();
    return success();
  }

private:
  std::string freshSymbol(std::string_view base) {
    while (true) {
      std::string name = std::string(base) + std::to_string(counter_++);
      if (taken_.insert(name).second)
        return name;
    }
  }

  LogicalResult node(Node &node) {
    if (node.is(OpId::If)) {
      for (Graph *branch : node.regions()) {
        for (size_t i = 0; i < node.captures().size(); ++i)
          branch->input(i)->setType(
              refine(node.captures()[i]->type(), branch->input(i)->type()));
        if (failed(graph(*branch)))
          return failure();
      }
    } else if (node.is(OpId::Loop) && failed(loopBody(node))) {
      return failure();
    }
    std::optional<std::vector<TensorType>> inferred = inferResultTypes(node, diag_);
    if (!inferred)
      return failure();
    bool operandsKnown = true;
    for (const Value *operand : node.operands())
      operandsKnown &= operand->type().hasKnownDims();
    for (const Value *capture : node.captures())
      operandsKnown &= capture->type().hasKnownDims();
    Dim tripCount = node.is(OpId::Loop) ? loopTrips(node) : Dim();
    size_t carried = node.is(OpId::Loop) ? node.numOperands() - 2 : node.numResults();
    for (size_t i = 0; i < node.numResults(); ++i) {
      TensorType type = refine((*inferred)[i], node.result(i)->type());
      if (type.hasRank() && operandsKnown) {
        std::vector<Dim> dims = type.dims();
        for (size_t d = 0; d < dims.size(); ++d) {
          if (!dims[d].isUnknown())
            continue;
          if (i >= carried && d == 0) {
            if (tripCount.isUnknown())
              tripCount = Dim::dataSymbol(freshSymbol("trips"));
            dims[d] = tripCount;
          } else {
            dims[d] = Dim::dataSymbol(freshSymbol(node.opName()));
          }
        }
        type = TensorType(type.dtype(), std::move(dims));
      }
      node.result(i)->setType(std::move(type));
    }
    return success();
  }

  /// Types a loop body: carried inputs start as the initial values' types
  /// and widen to a fixed point.
  LogicalResult loopBody(Node &node) {
    Graph &body = *node.regions()[0];
    size_t carried = node.numOperands() - 2;
    size_t firstCapture = 2 + carried;
    Snapshot original;
    snapshot(body, original);
    std::vector<TensorType> entry;
    for (size_t i = 0; i < carried; ++i)
      entry.push_back(refine(node.operand(2 + i)->type(), body.input(2 + i)->type()));
    for (int round = 0; round < 4; ++round) {
      for (const auto &[value, type] : original)
        value->setType(type);
      for (size_t i = 0; i < carried; ++i)
        body.input(2 + i)->setType(entry[i]);
      for (size_t i = 0; i < node.captures().size(); ++i)
        body.input(firstCapture + i)
            ->setType(refine(node.captures()[i]->type(),
                             body.input(firstCapture + i)->type()));
      if (failed(graph(body)))
        return failure();
      bool stable = true;
      for (size_t i = 0; i < carried; ++i) {
        const TensorType &out = body.outputs()[1 + i]->type();
        TensorType joined = joinTypes(entry[i], out);
        stable &= joined == entry[i];
        entry[i] = joined;
      }
      if (stable)
        return success();
    }
    // No fixed point in a few rounds (cannot happen: joins only lose
    // precision, and a rank can be lost once): leave the original types.
    for (const auto &[value, type] : original)
      value->setType(type);
    return success();
  }

  /// The number of iterations when it is a constant: a constant trip count
  /// with a condition that stays true (constant true, or passed through
  /// unchanged from a constant-true initial condition).
  /// The size a scalar trip count denotes: a constant, or a dim read off a
  /// shape (gather(shape(x), k): a loop over x's rows runs x.dim(k) times).
  static Dim sizeOf(const Value *value) {
    if (const Tensor *constant = constantValue(value)) {
      if (constant->numElements() != 1 || constant->getInt(0) < 0 ||
          constant->getInt(0) > kMaxDimSize)
        return Dim();
      return Dim(constant->getInt(0));
    }
    const Node *gather = value->definingNode();
    if (!gather || !gather->is(OpId::Gather) || gather->intAttr("axis") != 0)
      return Dim();
    const Node *shape = gather->operand(0)->definingNode();
    const Tensor *index = constantValue(gather->operand(1));
    if (!shape || !shape->is(OpId::Shape) || !index || index->numElements() != 1 ||
        !shape->operand(0)->type().hasRank())
      return Dim();
    const TensorType &of = shape->operand(0)->type();
    int64_t k = index->getInt(0);
    if (k < 0)
      k += of.rank();
    if (k < 0 || k >= of.rank())
      return Dim();
    return of.dim(k);
  }

  Dim loopTrips(const Node &node) {
    const Graph &body = *node.regions()[0];
    const Tensor *cond = constantValue(node.operand(1));
    if (!cond || cond->numElements() != 1 || !cond->getInt(0))
      return Dim();
    const Value *next = body.outputs()[0];
    const Tensor *nextValue = constantValue(next);
    bool staysTrue = next == body.input(1) ||
                     (nextValue && nextValue->numElements() == 1 && nextValue->getInt(0));
    return staysTrue ? sizeOf(node.operand(0)) : Dim();
  }

  Diagnostics &diag_;
  std::set<std::string> taken_;
  int counter_ = 0;
};

} // namespace

LogicalResult inferShapes(Module &module, PassContext &context) {
  ShapeInference inference(module, context.diag);
  for (const auto &graph : module.graphs())
    if (failed(inference.graph(*graph)))
      return failure();
  return success();
}

LogicalResult specialize(Module &module, PassContext &context) {
  if (context.bindings.empty())
    return success();
  std::set<std::string> present;
  for (const auto &graph : module.graphs())
    collectSymbols(*graph, present);
  for (const auto &[name, value] : context.bindings)
    if (!present.count(name))
      return context.diag.error({}, "--bind " + name + "=" + std::to_string(value) +
                                        ": the module has no symbol " + name);
  auto substitute = [&](Value *value) {
    const TensorType &type = value->type();
    if (!type.hasRank())
      return;
    std::vector<Dim> dims;
    for (const Dim &dim : type.dims())
      dims.push_back(dim.isSymbolic()
                         ? Dim::fromExpr(dim.expr().substitute(context.bindings))
                         : dim);
    value->setType(TensorType(type.dtype(), std::move(dims)));
  };
  for (const auto &graph : module.graphs()) {
    for (const auto &input : graph->inputs())
      substitute(input.get());
    graph->walk([&](Node &node) {
      for (Graph *region : node.regions())
        for (const auto &input : region->inputs())
          substitute(input.get());
      for (size_t i = 0; i < node.numResults(); ++i)
        substitute(node.result(i));
    });
  }
  return inferShapes(module, context);
}

} // namespace dlc
