//===- MoeSparsify.cpp - Dense mixture-of-experts layers become routed ----===//
//
// Exporters write a mixture-of-experts layer densely: every expert runs on
// every token, and a gate matrix that top-k left zero for the experts a
// token was not routed to weighs the outputs:
//
//   out = sum_e gate_e * expert_e(x)      gate_e: [T, 1], expert_e(x): [T, D]
//
// as an add chain of `mul`s (gate columns sliced from a matrix scattered
// from top-k's choice, or per-expert one-hot masks), or as
// einsum("te,etd->td", G, stack(expert_e(x))). This pass rewrites such a
// layer into routed computation:
//
//   rows_e = nonzero(gate_e != 0)                  (all experts first)
//   acc    = scatter_nd(acc, rows_e, gather(gate_e, rows_e) *
//                       expert_e(gather(x, rows_e)), reduction add)
//
// where acc is the partial sum the dense add tree adds the expert's term
// to (zeros where the tree adds two products; other terms, a residual,
// stay where they were). Each expert runs on its own tokens (row counts
// known at run time; an expert without tokens runs on zero rows) and the
// combine is a weighted scatter-add. After split, routing is one kernel, the nonzeros are host
// work, and every expert is in the next kernel.
//
// What makes it exact: expert_e acts on rows alone (Rowwise.h proves it,
// node by node), so running it on the routed rows gives those rows of the
// dense result; rows whose gate is 0 contributed 0 * y to the dense sum,
// which the routed sum omits. The two agree bit for bit (the sums keep the
// dense tree's association; up to the sign of a zero) when the experts'
// outputs on unrouted rows are finite (0 * inf is NaN in the dense form;
// the routed form never computes those rows).
// What makes it profitable, proven separately: the gate is zero wherever
// top-k did not choose (gate matrices scattered from or compared with
// top-k's indices over fewer than all experts); without that proof the
// layer stays dense, with a missed remark.
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"
#include "passes/Rowwise.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace dlc {
namespace {

constexpr std::string_view kPass = "moe-sparsify";

/// topk's indices over an axis it keeps fewer than all of.
bool isTopkIndices(const Value *value) {
  const Node *node = value->definingNode();
  if (!node || !node->is(OpId::Topk) || value->index() != 1)
    return false;
  const TensorType &in = node->operand(0)->type();
  const TensorType &out = value->type();
  if (!in.hasRank() || !out.hasRank() || in.rank() == 0)
    return false;
  int64_t axis = node->intAttr("axis");
  if (axis < 0)
    axis += in.rank();
  if (axis < 0 || axis >= in.rank())
    return false;
  const Dim &all = in.dim(axis), &kept = out.dim(axis);
  return all.isStatic() && kept.isStatic() && kept.size() < all.size();
}

bool isZeroFill(const Value *value) {
  if (const Tensor *tensor = constantValue(value)) {
    for (int64_t i = 0; i < tensor->numElements(); ++i)
      if (tensor->getDouble(i) != 0.0)
        return false;
    return true;
  }
  const Node *node = value->definingNode();
  return node && node->is(OpId::Expand) && isZeroFill(node->operand(0));
}

/// Whether `gate` is zero wherever top-k did not route: built from top-k's
/// indices (scattered into zeros, one-hot, compared with an expert's
/// number), then multiplied, cast, summed or sliced.
bool isRouted(const Value *gate, int depth = 0) {
  const Node *node = gate->definingNode();
  if (!node || depth > 16)
    return false;
  switch (node->id()) {
  case OpId::ScatterElements:
    return isZeroFill(node->operand(0)) && isTopkIndices(node->operand(1)) &&
           node->stringAttr("reduction") == "none";
  case OpId::OneHot:
    return isTopkIndices(node->operand(0));
  case OpId::Equal:
    return (isTopkIndices(node->operand(0)) && constantValue(node->operand(1))) ||
           (isTopkIndices(node->operand(1)) && constantValue(node->operand(0)));
  case OpId::Mul:
    return isRouted(node->operand(0), depth + 1) || isRouted(node->operand(1), depth + 1);
  case OpId::Where:
    return isRouted(node->operand(0), depth + 1) && isZeroFill(node->operand(2));
  case OpId::Cast:
  case OpId::ReduceSum:
  case OpId::Slice:
  case OpId::Gather:
  case OpId::Squeeze:
  case OpId::Unsqueeze:
  case OpId::Reshape:
  case OpId::Transpose:
    return isRouted(node->operand(0), depth + 1);
  default:
    return false;
  }
}

/// One expert of a layer: `gate * output` (or `output * gate`).
struct Expert {
  Value *gate = nullptr; ///< [rows, 1, ...]; null: column `column` of the gate matrix
  int64_t column = 0;
  Value *output = nullptr;
  bool gateFirst = true;
  Value *term = nullptr; ///< the product in the add tree (null: einsum form)
  RowwiseCone cone;
  Value *rows = nullptr; ///< the rows routed to it (built by the rewrite)
};

/// A dense layer found in the graph: `root`'s result is the sum of the
/// experts' terms and `others`.
struct Layer {
  Node *root = nullptr;
  Value *gateMatrix = nullptr; ///< einsum form: [rows, experts]
  std::vector<Value *> others;
  std::vector<Expert> experts;
  std::set<const Value *> sums; ///< the add tree's inner sums, root included
};

/// A gate for rows of `type`: [rows, 1, ..., 1].
bool isGateShaped(const TensorType &gate, const TensorType &type) {
  if (!gate.hasRank() || gate.rank() != type.rank() || !(gate.dim(0) == type.dim(0)))
    return false;
  for (int64_t i = 1; i < gate.rank(); ++i)
    if (!gate.dim(i).isStatic() || gate.dim(i).size() != 1)
      return false;
  return true;
}

/// Routing saves work where a gate is zero: proven (top-k's choice) or, the
/// correctness of the rewrite not depending on it, seen in a profile for
/// most of the gate's entries (a threshold or ReLU router).
constexpr double kObservedSparse = 0.5;
bool isSparse(const Value *gate, const Profile &profile) {
  if (isRouted(gate))
    return true;
  std::optional<double> zeros = profile.zeroFraction(*gate);
  return zeros && *zeros >= kObservedSparse;
}

/// `term` as gate * expert output, if the gate is sparse; `unproven` is
/// set for a gate-shaped product whose gate is not.
std::optional<Expert> expertTerm(Value *term, const TensorType &type, const Profile &profile,
                                 bool &unproven) {
  Node *node = term->definingNode();
  if (!node || !node->is(OpId::Mul) || !singleUse(term))
    return std::nullopt;
  for (int first = 0; first < 2; ++first) {
    Value *gate = node->operand(first == 1 ? 1 : 0);
    Value *output = node->operand(first == 1 ? 0 : 1);
    if (!isGateShaped(gate->type(), type) || !(output->type() == type))
      continue;
    if (!isSparse(gate, profile)) {
      unproven = true;
      continue;
    }
    Expert expert;
    expert.gate = gate;
    expert.output = output;
    expert.gateFirst = first == 0;
    expert.term = term;
    return expert;
  }
  return std::nullopt;
}

/// einsum("te,etd->td", G, concat(unsqueeze(y_e, 0)...)) over a sparse G.
std::optional<Layer> einsumLayer(Node &node, const Profile &profile) {
  if (node.numOperands() != 2)
    return std::nullopt;
  std::string equation;
  for (char c : node.stringAttr("equation"))
    if (c != ' ')
      equation += c;
  size_t comma = equation.find(','), arrow = equation.find("->");
  if (comma != 2 || arrow != 6 || equation.size() != 10)
    return std::nullopt;
  char t = equation[0], e = equation[1];
  if (t == e || equation[3] != e || equation[4] != t || equation[5] == t ||
      equation[5] == e || equation[8] != t || equation[9] != equation[5])
    return std::nullopt;
  Value *gates = node.operand(0);
  Node *stack = node.operand(1)->definingNode();
  if (!stack || !stack->is(OpId::Concat) || stack->intAttr("axis") != 0 ||
      !singleUse(node.operand(1)) || !isSparse(gates, profile))
    return std::nullopt;
  const TensorType &type = node.result(0)->type();
  const TensorType &gateType = gates->type();
  if (!gateType.hasRank() || gateType.rank() != 2 || !gateType.dim(1).isStatic() ||
      gateType.dim(1).size() != static_cast<int64_t>(stack->numOperands()))
    return std::nullopt;
  Layer layer;
  layer.root = &node;
  layer.gateMatrix = gates;
  for (size_t i = 0; i < stack->numOperands(); ++i) {
    Node *unsqueeze = stack->operand(i)->definingNode();
    if (!unsqueeze || !unsqueeze->is(OpId::Unsqueeze) || !singleUse(stack->operand(i)))
      return std::nullopt;
    const Attribute *axes = unsqueeze->attr("axes");
    if (!axes || axes->getInts() != std::vector<int64_t>{0} ||
        !(unsqueeze->operand(0)->type() == type))
      return std::nullopt;
    Expert expert;
    expert.column = static_cast<int64_t>(i);
    expert.output = unsqueeze->operand(0);
    layer.experts.push_back(std::move(expert));
  }
  return layer;
}

/// The dense layer whose combination `node` computes, if any; `unproven`
/// counts gated products left out for gates not known to be sparse.
std::optional<Layer> findLayer(Node &node, const Profile &profile, int &unproven) {
  unproven = 0;
  if (node.is(OpId::Einsum))
    return einsumLayer(node, profile);
  if (!node.is(OpId::Add))
    return std::nullopt;
  Value *sum = node.result(0);
  const TensorType &type = sum->type();
  if (!isSumRoot(*sum) || !type.hasRank() || type.rank() == 0)
    return std::nullopt;
  Layer layer;
  layer.root = &node;
  for (Value *term : sumTerms(*sum, &layer.sums)) {
    bool gated = false;
    if (std::optional<Expert> expert = expertTerm(term, type, profile, gated))
      layer.experts.push_back(std::move(*expert));
    else
      layer.others.push_back(term);
    unproven += gated;
  }
  if (layer.experts.empty())
    return std::nullopt;
  return layer;
}

/// Proves each expert row-wise; experts that are not stay dense terms (an
/// einsum layer stays dense as a whole). False if nothing is left to route.
bool proveExperts(Layer &layer, PassContext &context) {
  std::vector<Expert> routed;
  for (Expert &expert : layer.experts) {
    std::string why;
    std::optional<RowwiseCone> cone;
    if (!singleUse(expert.output))
      why = "its output is also used elsewhere";
    else if ((cone = rowwiseCone(*expert.output, why)) && !cone->hasContraction)
      why = "it does no matmul: nothing to save";
    if (!why.empty() || !cone) {
      context.remark(kPass, Remark::Kind::Missed, layer.root->location(),
                     "expert " + std::to_string(&expert - layer.experts.data()) +
                         " stays dense: " + why);
      if (layer.gateMatrix)
        return false;
      layer.others.push_back(expert.term);
      continue;
    }
    expert.cone = std::move(*cone);
    routed.push_back(std::move(expert));
  }
  layer.experts = std::move(routed);
  return !layer.experts.empty();
}

/// Builds the routed layer in front of its root.
class Router {
public:
  Router(Layer &layer, PassContext &context)
      : layer_(layer), type_(layer.root->result(0)->type()),
        b_(*layer.root->graph(), &context.diag) {
    b_.setInsertionPointAndLocation(layer.root);
    for (Expert &expert : layer.experts)
      if (expert.term)
        byTerm_[expert.term] = &expert;
  }

  void run() {
    route();
    Value *acc = nullptr;
    if (layer_.gateMatrix) { // einsum: the sum over the expert axis, in order
      acc = zeros();
      for (Expert &expert : layer_.experts)
        acc = scatterAdd(acc, expert);
    } else {
      acc = sum(layer_.root->result(0));
    }
    takePlace(layer_.root->result(0), acc);
  }

private:
  /// Every expert's rows before any expert runs (split then puts the masks
  /// in one kernel, the nonzeros on the host, all experts in the next).
  void route() {
    for (Expert &expert : layer_.experts) {
      if (!expert.gate)
        expert.gate = b_.op("slice", {layer_.gateMatrix, b_.ints({expert.column}),
                                      b_.ints({expert.column + 1}), b_.ints({1})});
      expert.rows = rowsWhere(b_, expert.gate);
    }
  }

  /// The add tree at `value` with each expert's term scatter-added where
  /// the dense sum added it (same association: equal sums).
  Value *sum(Value *value) {
    if (auto it = byTerm_.find(value); it != byTerm_.end())
      return scatterAdd(zeros(), *it->second);
    if (!hasExperts(value))
      return value;
    Node *node = value->definingNode();
    Value *lhs = node->operand(0), *rhs = node->operand(1);
    if (auto it = byTerm_.find(rhs); it != byTerm_.end())
      return scatterAdd(sum(lhs), *it->second);
    if (auto it = byTerm_.find(lhs); it != byTerm_.end())
      return scatterAdd(sum(rhs), *it->second);
    return b_.op("add", {sum(lhs), sum(rhs)});
  }

  bool hasExperts(const Value *value) const {
    if (byTerm_.count(value))
      return true;
    if (!layer_.sums.count(value))
      return false;
    const Node *node = value->definingNode();
    return hasExperts(node->operand(0)) || hasExperts(node->operand(1));
  }

  /// acc + the expert's term on its rows.
  Value *scatterAdd(Value *acc, Expert &expert) {
    std::vector<Value *> inputs;
    for (Value *input : expert.cone.rowInputs)
      inputs.push_back(b_.op("gather", {input, expert.rows}));
    std::string suffix = ".e" + std::to_string(&expert - layer_.experts.data());
    Value *output = cloneOnRows(expert.cone, b_, inputs, suffix);
    Value *gate = b_.op("gather", {expert.gate, expert.rows});
    Value *term = expert.gateFirst ? b_.op("mul", {gate, output}) : b_.op("mul", {output, gate});
    return scatterRows(b_, acc, expert.rows, term, "add");
  }

  Value *zeros() { return zerosOfRows(b_, type_, layer_.experts.front().gate); }

  Layer &layer_;
  const TensorType &type_;
  Builder b_;
  std::map<const Value *, Expert *> byTerm_;
};

/// Why the layer cannot be rewritten, or empty.
std::string unsupported(const Layer &layer) {
  const TensorType &type = layer.root->result(0)->type();
  if (!type.hasKnownDims() || (type.dim(0).isStatic() && type.dim(0).size() <= 1))
    return "the token count is unknown or 1";
  for (int64_t i = 1; i < type.rank(); ++i)
    if (!type.dim(i).isStatic())
      return "the output's dims past the tokens are not static";
  return "";
}

/// The rows ([n, 1]) and updates ([n, D...]) of a scatter_elements along
/// axis 0 that writes whole rows of `type`: torch's index_add exports
///   scatter_elements(Z, expand(unsqueeze(r, 1), shape(U)), U = expand(V, shape(Y)))
/// with Y = acc[0:1] (rows min(T, 1)). The expands broadcast nothing where
/// the scatter is defined: V's n rows against 1, T or min(T, 1) rows stay n
/// (n = 1 against T > 1 would write one row T times, which a scatter
/// without reduction may not; T = 0 leaves no row an index may name), so
/// the scatter is scatter_nd(acc, unsqueeze(r, 1), V) on rows of V.
std::pair<Value *, Value *> wholeRows(const Node &scatter, const TensorType &type) {
  auto expandOf = [](const Value *value, const Value *&from, const Value *&shapeOf) {
    const Node *expand = value->definingNode();
    if (!expand || !expand->is(OpId::Expand))
      return false;
    const Node *shape = expand->operand(1)->definingNode();
    if (!shape || !shape->is(OpId::Shape))
      return false;
    from = expand->operand(0);
    shapeOf = shape->operand(0);
    return true;
  };
  const Value *indices, *indexTarget, *updates, *updateTarget;
  if (scatter.intAttr("axis") != 0 || !type.hasRank() || type.rank() != 2 ||
      !expandOf(scatter.operand(1), indices, indexTarget) ||
      !expandOf(scatter.operand(2), updates, updateTarget) || indexTarget != scatter.operand(2))
    return {};
  const TensorType &r = indices->type(), &v = updates->type(), &y = updateTarget->type();
  if (!r.hasRank() || !v.hasRank() || !y.hasRank() || r.rank() != 2 || v.rank() != 2 ||
      y.rank() != 2 || !(r.dim(0) == v.dim(0)) || !(r.dim(1) == Dim(1)) ||
      !(v.dim(1) == type.dim(1)) || !(y.dim(1) == type.dim(1)))
    return {};
  const Dim &rows = type.dim(0), &target = y.dim(0);
  if (!(target == Dim(1) || target == rows || target == minDim(rows, Dim(1))))
    return {};
  return {const_cast<Value *>(indices), const_cast<Value *>(updates)};
}

/// add(acc, scatter_elements(zeros, I, U)) becomes one scatter-add into
/// acc: how exporters write index_add (torch's per-expert loops that
/// gather each expert's tokens), which built a zero tensor the size of the
/// layer's output and added it whole, per expert. Exact: ONNX requires a
/// scatter without reduction to have distinct indices, so each update is
/// added once either way.
bool scatterAddInto(Node &node, PassContext &context) {
  if (!node.is(OpId::Add))
    return false;
  for (size_t side = 0; side < 2; ++side) {
    Value *acc = node.operand(side), *scattered = node.operand(1 - side);
    Node *scatter = scattered->definingNode();
    if (!scatter || !scatter->is(OpId::ScatterElements) || !singleUse(scattered) ||
        scatter->stringAttr("reduction") != "none" || !isZeroFill(scatter->operand(0)) ||
        !(scattered->type() == acc->type()) || !(node.result(0)->type() == acc->type()))
      continue;
    Builder b(*node.graph(), &context.diag);
    b.setInsertionPointAndLocation(&node);
    Value *sum;
    if (auto [rows, updates] = wholeRows(*scatter, acc->type()); rows) {
      sum = b.create("scatter_nd", {acc, rows, updates}).attr("reduction", "add").result();
    } else {
      sum = b.create("scatter_elements", {acc, scatter->operand(1), scatter->operand(2)})
                .attr("axis", scatter->intAttr("axis"))
                .attr("reduction", "add")
                .result();
    }
    context.remark(kPass, Remark::Kind::Applied, node.location(),
                   "a scatter into zeros added to a sum (index_add) scatter-adds into the sum");
    takePlace(node.result(0), sum);
    return true;
  }
  return false;
}

} // namespace

LogicalResult moeSparsify(Module &module, PassContext &context) {
  bool changed = false;
  forEachGraph(module, [&](const std::vector<Node *> &nodes) {
    for (Node *node : nodes) {
      if (!node->result(0)->hasUses())
        continue; // a dense layer already rewritten
      if (scatterAddInto(*node, context)) {
        changed = true;
        continue;
      }
      int unproven;
      std::optional<Layer> layer = findLayer(*node, context.profile, unproven);
      if (unproven >= 2)
        context.remark(kPass, Remark::Kind::Missed, node->location(),
                       std::to_string(unproven) +
                           " gated products stay dense: their gates are not provably zero "
                           "where a row is not routed (top-k), nor seen mostly zero in a "
                           "profile (--profile-inputs)");
      if (!layer)
        continue;
      if (std::string why = unsupported(*layer); !why.empty()) {
        context.remark(kPass, Remark::Kind::Missed, node->location(),
                       "mixture of experts stays dense: " + why);
        continue;
      }
      size_t experts = layer->experts.size();
      if (!proveExperts(*layer, context))
        continue;
      std::string how = "the tokens top-k chose for it";
      std::vector<const Value *> gates;
      for (const Expert &expert : layer->experts)
        gates.push_back(expert.gate);
      if (layer->gateMatrix)
        gates = {layer->gateMatrix};
      if (!isRouted(gates.front())) {
        double zeros = 0;
        for (const Value *gate : gates)
          zeros += context.profile.zeroFraction(*gate).value_or(1.0);
        how = "the rows its gate is nonzero for (the profile saw " +
              std::to_string(int(100 * zeros / double(gates.size()))) + "% of the gates zero)";
      }
      context.remark(kPass, Remark::Kind::Applied, node->location(),
                     "routed " + std::to_string(layer->experts.size()) + " of " +
                         std::to_string(experts) + " experts: each runs on " + how);
      Router(*layer, context).run();
      changed = true;
    }
    return false;
  });
  // The dense experts go; shapes of the zeros and row counts get names.
  return changed ? canonicalize(module, context) : success();
}

} // namespace dlc
