//===- CondConv.cpp - Conditionally parameterized convolutions ------------===//
//
// CondConv (Yang et al., 2019) weighs K expert kernels per example. Its
// reference code, and what exporters make of it, computes all K
// convolutions on every example and sums them weighted:
//
//   out = sum_k r[:, k] * conv(x, W_k, b_k)      r: [N, K], per example
//
// Convolution is linear in its kernel, so this pass mixes the kernels per
// example instead and runs one convolution, grouped by example:
//
//   W[n] = sum_k r[n, k] W_k,  b[n] = sum_k r[n, k] b_k   (a matmul each)
//   out  = reshape(conv(reshape(x, [1, N*C, H, W]), reshape(W, [N*M, C, kh, kw]),
//                       reshape(b, [N*M]), group = N), [N, M, H', W'])
//
// K convolutions become one, plus N*K*|W| multiply-adds of mixing. Equal up
// to rounding (the sum is taken over kernels instead of outputs).
//
// Preconditions, proven or the sum stays (with a missed remark): every
// term is a per-example gate [N, 1, 1, 1] times a convolution used only
// there; the convolutions read the same input with the same attributes
// and no groups (kernels and biases are shared by the examples, as a
// convolution's are: mixing them is exact whatever computes them), and
// the batch N is static (the grouped convolution's group count; bind it
// with `--bind` and `specialize` for exported dynamic batches).
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"
#include "passes/Rowwise.h"

#include <optional>
#include <string>

namespace dlc {
namespace {

constexpr std::string_view kPass = "condconv";

struct Expert {
  Value *gate;  ///< [N, 1, 1, 1]
  Node *conv;
};

bool sameAttrs(const Node &a, const Node &b) {
  if (a.attrs().size() != b.attrs().size())
    return false;
  for (const auto &[name, value] : a.attrs()) {
    const Attribute *other = b.attr(name);
    if (!other || !value.sameValue(*other))
      return false;
  }
  return true;
}

/// `term` as gate * conv(x, W, b), the gate per example.
std::optional<Expert> expertTerm(Value *term) {
  Node *mul = term->definingNode();
  if (!mul || !mul->is(OpId::Mul) || !singleUse(term))
    return std::nullopt;
  const TensorType &type = term->type();
  for (size_t side = 0; side < 2; ++side) {
    Value *gate = mul->operand(side), *product = mul->operand(1 - side);
    Node *conv = product->definingNode();
    const TensorType &g = gate->type();
    if (!conv || !conv->is(OpId::Conv) || !singleUse(product) || !(product->type() == type) ||
        !g.hasRank() || g.rank() != type.rank() || !(g.dim(0) == type.dim(0)))
      continue;
    bool perExample = true;
    for (int64_t i = 1; i < g.rank(); ++i)
      perExample &= g.dim(i) == Dim(1);
    if (perExample)
      return Expert{gate, conv};
  }
  return std::nullopt;
}

/// Why the experts cannot be mixed, or empty.
std::string unmixable(const std::vector<Expert> &experts, const TensorType &type) {
  const Node &first = *experts.front().conv;
  const TensorType &w = first.operand(1)->type();
  if (type.rank() != 4 || !type.isStatic() || !w.hasRank() || !w.isStatic())
    return "the batch or the shapes are not static (bind the batch: --bind, specialize)";
  for (const Expert &expert : experts) {
    const Node &conv = *expert.conv;
    if (conv.operand(0) != first.operand(0) || !sameAttrs(conv, first) ||
        conv.numOperands() != first.numOperands() || !(conv.operand(1)->type() == w))
      return "the convolutions differ in input, attributes or kernel shape";
    if (conv.intAttr("group") != 1)
      return "the convolutions are grouped already";
  }
  return "";
}

/// The experts' kernels (or biases) as rows [K, size], mixed per example
/// by `routing` [N, K]: [N, size].
Value *mix(Builder &b, const std::vector<Expert> &experts, size_t operand, Value *routing) {
  std::vector<Value *> rows;
  for (const Expert &expert : experts)
    rows.push_back(b.op("reshape", {expert.conv->operand(operand), b.ints({1, -1})}));
  Value *stacked = b.create("concat", rows).attr("axis", 0).result();
  return b.op("matmul", {routing, stacked});
}

void rewrite(Node &root, const std::vector<Expert> &experts, const std::vector<Value *> &others,
             PassContext &context) {
  const TensorType &type = root.result(0)->type();
  const Node &first = *experts.front().conv;
  Value *x = first.operand(0);
  const TensorType &w = first.operand(1)->type(), &in = x->type();
  int64_t n = type.dim(0).size(), m = w.dim(0).size();
  Builder b(*root.graph(), &context.diag);
  b.setInsertionPointAndLocation(&root);
  std::vector<Value *> columns;
  for (const Expert &expert : experts)
    columns.push_back(b.op("reshape", {expert.gate, b.ints({n, 1})}));
  Value *routing = b.create("concat", columns).attr("axis", 1).result(); // [N, K]
  std::vector<int64_t> kernelDims{n * m};
  for (int64_t i = 1; i < w.rank(); ++i)
    kernelDims.push_back(w.dim(i).size());
  std::vector<Value *> operands{
      b.op("reshape", {x, b.ints({1, n * in.dim(1).size(), in.dim(2).size(),
                                   in.dim(3).size()})}),
      b.op("reshape", {mix(b, experts, 1, routing), b.ints(kernelDims)})};
  if (first.numOperands() == 3)
    operands.push_back(b.op("reshape", {mix(b, experts, 2, routing), b.ints({n * m})}));
  NodeBuilder conv = b.create("conv", operands);
  for (const auto &[name, value] : first.attrs())
    if (name != "group")
      conv.attr(name, value.kind() == AttrKind::Ints ? Attribute(value.getInts())
                                                      : Attribute(value.getInt()));
  conv.attr("group", n);
  Value *out = b.op("reshape", {conv.result(), b.ints({n, m, type.dim(2).size(),
                                                        type.dim(3).size()})});
  for (Value *other : others)
    out = b.op("add", {out, other});
  context.remark(kPass, Remark::Kind::Applied, root.location(),
                 "mixed " + std::to_string(experts.size()) +
                     " expert kernels per example: one grouped convolution");
  takePlace(root.result(0), out);
}

} // namespace

LogicalResult condConv(Module &module, PassContext &context) {
  bool changed = false;
  std::vector<Graph *> graphs;
  for (const auto &graph : module.graphs())
    graphs.push_back(graph.get());
  for (size_t g = 0; g < graphs.size(); ++g) {
    std::vector<Node *> nodes;
    for (const auto &node : graphs[g]->nodes()) {
      nodes.push_back(node.get());
      for (Graph *region : node->regions())
        graphs.push_back(region);
    }
    for (Node *node : nodes) {
      Value *sum = node->result(0);
      if (!node->is(OpId::Add) || !sum->hasUses() || !isSumRoot(*sum))
        continue;
      std::vector<Expert> experts;
      std::vector<Value *> others;
      for (Value *term : sumTerms(*sum)) {
        if (std::optional<Expert> expert = expertTerm(term))
          experts.push_back(*expert);
        else
          others.push_back(term);
      }
      if (experts.size() < 2)
        continue;
      if (std::string why = unmixable(experts, sum->type()); !why.empty()) {
        context.remark(kPass, Remark::Kind::Missed, node->location(),
                       "weighted sum of " + std::to_string(experts.size()) +
                           " convolutions stays: " + why);
        continue;
      }
      rewrite(*node, experts, others, context);
      changed = true;
    }
  }
  return changed ? canonicalize(module, context) : success();
}

} // namespace dlc
