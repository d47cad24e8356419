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
// A batch known only at run time (exported models) cannot be a group
// count: there, a loop over the examples runs one convolution each, on the
// example's mixed kernel (the loop's trip count is the batch, so the
// result keeps its symbolic size).
//
// Preconditions, proven or the sum stays (with a missed remark): every
// term is a per-example gate [N, 1, 1, 1] times a convolution used only
// there; the convolutions are 2-D, read the same input with the same
// attributes and no groups (kernels and biases are shared by the
// examples, as a convolution's are: mixing them is exact whatever computes
// them), every size past the batch is static, and a static batch is not
// empty.
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
  const TensorType &x = first.operand(0)->type();
  bool fixed = type.rank() == 4 && w.hasRank() && w.isStatic() && x.hasRank() && x.rank() == 4;
  for (int64_t i = 1; fixed && i < 4; ++i)
    fixed = type.dim(i).isStatic() && x.dim(i).isStatic();
  if (!fixed)
    return "the shapes past the batch are not static";
  if (type.dim(0).isStatic() && type.dim(0).size() == 0)
    return "the batch is empty"; // (and a group count of 0 is no convolution)
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

/// The convolution `like` with `operands` and its attributes, `group` aside.
Value *convLike(Builder &b, const Node &like, std::vector<Value *> operands, int64_t group) {
  NodeBuilder conv = b.create("conv", std::move(operands));
  for (const auto &[name, value] : like.attrs())
    if (name != "group")
      conv.attr(name, value.kind() == AttrKind::Ints ? Attribute(value.getInts())
                                                      : Attribute(value.getInt()));
  return conv.attr("group", group).result();
}

void rewrite(Node &root, const std::vector<Expert> &experts, const std::vector<Value *> &others,
             PassContext &context) {
  const TensorType &type = root.result(0)->type();
  const Node &first = *experts.front().conv;
  Value *x = first.operand(0);
  const TensorType &w = first.operand(1)->type(), &in = x->type();
  int64_t m = w.dim(0).size();
  std::vector<int64_t> kernel;
  for (int64_t i = 1; i < w.rank(); ++i)
    kernel.push_back(w.dim(i).size());
  bool hasBias = first.numOperands() == 3;
  Builder b(*root.graph(), &context.diag);
  b.setInsertionPointAndLocation(&root);
  std::vector<Value *> columns;
  for (const Expert &expert : experts)
    columns.push_back(b.op("reshape", {expert.gate, b.ints({-1, 1})}));
  Value *routing = b.create("concat", columns).attr("axis", 1).result(); // [N, K]
  Value *kernels = mix(b, experts, 1, routing);                         // [N, M*C*kh*kw]
  Value *biases = hasBias ? mix(b, experts, 2, routing) : nullptr;      // [N, M]
  Value *out;
  std::string how;
  if (type.dim(0).isStatic()) {
    // One convolution over the batch's channels, grouped by example.
    int64_t n = type.dim(0).size();
    kernel.insert(kernel.begin(), n * m);
    std::vector<Value *> operands{
        b.op("reshape", {x, b.ints({1, n * in.dim(1).size(), in.dim(2).size(),
                                     in.dim(3).size()})}),
        b.op("reshape", {kernels, b.ints(kernel)})};
    if (hasBias)
      operands.push_back(b.op("reshape", {biases, b.ints({n * m})}));
    out = b.op("reshape", {convLike(b, first, operands, n),
                           b.ints({n, m, type.dim(2).size(), type.dim(3).size()})});
    how = "one grouped convolution";
  } else {
    // A batch only known at run time: one convolution per example, a loop
    // over the examples (its kernels run on each example's mixed kernel).
    kernel.insert(kernel.begin(), m);
    Value *zero = b.constant(Tensor(TensorType(DType::I64, {}))); // dim 0: the batch
    Value *trips = b.op("gather", {b.op("shape", {x}), zero});
    Tensor yes(TensorType(DType::Bool, {}));
    yes.setInt(0, 1);
    Value *go = b.constant(std::move(yes));
    std::vector<Value *> captured{x, kernels};
    std::vector<TensorType> inputs{TensorType(DType::I64, {}), TensorType(DType::Bool, {}),
                                   x->type(), kernels->type()};
    if (hasBias) {
      captured.push_back(biases);
      inputs.push_back(biases->type());
    }
    Value *scans = b.create("loop", {trips, go})
                       .captures(captured)
                       .region("body", inputs,
                               [&](Builder &body, const std::vector<Value *> &in) {
                                 Value *i = in[0];
                                 Value *xi = body.create("unsqueeze", {body.op("gather", {in[2], i})})
                                                 .attr("axes", {0})
                                                 .result();
                                 std::vector<Value *> operands{
                                     xi, body.op("reshape", {body.op("gather", {in[3], i}),
                                                             body.ints(kernel)})};
                                 if (hasBias)
                                   operands.push_back(body.op("gather", {in[4], i}));
                                 return std::vector<Value *>{in[1],
                                                             convLike(body, first, operands, 1)};
                               })
                       .result();
    out = b.create("squeeze", {scans}).attr("axes", {1}).result();
    how = "a loop of one convolution per example (the batch is dynamic)";
  }
  for (Value *other : others)
    out = b.op("add", {out, other});
  context.remark(kPass, Remark::Kind::Applied, root.location(),
                 "mixed " + std::to_string(experts.size()) + " expert kernels per example: " +
                     how);
  takePlace(root.result(0), out);
}

} // namespace

LogicalResult condConv(Module &module, PassContext &context) {
  bool changed = false;
  forEachGraph(module, [&](const std::vector<Node *> &nodes) {
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
    return false;
  });
  return changed ? canonicalize(module, context) : success();
}

} // namespace dlc
