//===- Simplify.cpp - Local rewrites that remove work ---------------------===//
//
// Each rule matches one node and replaces its results with values that
// already exist or with fewer nodes; what it leaves unused, dce removes.
//  0. The shape of a value of static type is a constant.
//  1. No-ops: identity; cast to the same dtype; a shape-only op (reshape,
//     squeeze, unsqueeze, flatten) whose result type equals its operand's,
//     fully known; transpose with the identity permutation.
//  2. Chains: reshape of a shape-only op reads that op's operand; a
//     transpose of a transpose becomes one transpose.
//  3. Exact algebra: x*1, x/1, x-0, and x+0 for integers (for floats only
//     x+(-0.0): x+0.0 turns -0.0 into +0.0), when the constant does not
//     broadcast x to a bigger type.
//  4. Control flow: an `if` on a constant condition is replaced by the
//     branch it takes; a `loop` that runs zero times (constant trip count 0
//     or constant false condition) by its initial values and empty scans.
//  5. The form kernels take: a reduction over axes the program computes
//     that drops them becomes one that keeps them, squeezed by the same
//     axes (one node more; its kernel learns which dims it reduces from its
//     result's sizes, bound when it runs, and the squeeze is a reshape).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Builder.h"
#include "ir/Clone.h"
#include "ir/OpRegistry.h"

#include <cmath>
#include <numeric>

namespace dlc {
namespace {

void replaceResult(Node &node, Value *value) {
  node.result(0)->replaceAllUsesWith(value);
}

/// Every element of the constant `value` satisfies `pred`.
template <typename Pred> bool allElements(const Value *value, Pred pred) {
  const Tensor *tensor = constantValue(value);
  if (!tensor)
    return false;
  for (int64_t i = 0; i < tensor->numElements(); ++i)
    if (!pred(tensor->getDouble(i)))
      return false;
  return true;
}

bool isOne(double v) { return v == 1.0; }
bool isZero(double v) { return v == 0.0; }
bool isNegativeZero(double v) { return v == 0.0 && std::signbit(v); }

/// The permutation of a transpose (explicit, or reversed dims).
std::optional<std::vector<int64_t>> permutation(const Node &node) {
  if (const Attribute *perm = node.attr("perm"))
    return perm->getInts();
  const TensorType &type = node.operand(0)->type();
  if (!type.hasRank())
    return std::nullopt;
  std::vector<int64_t> order(type.rank());
  std::iota(order.rbegin(), order.rend(), 0);
  return order;
}

bool simplifyTranspose(Node &node) {
  std::optional<std::vector<int64_t>> perm = permutation(node);
  if (!perm)
    return false;
  bool identity = true;
  for (size_t i = 0; i < perm->size(); ++i)
    identity &= (*perm)[i] == static_cast<int64_t>(i);
  if (identity) {
    replaceResult(node, node.operand(0));
    return true;
  }
  Node *inner = node.operand(0)->definingNode();
  if (!inner || !inner->is(OpId::Transpose))
    return false;
  std::optional<std::vector<int64_t>> first = permutation(*inner);
  if (!first || first->size() != perm->size())
    return false;
  std::vector<int64_t> composed;
  for (int64_t axis : *perm)
    composed.push_back((*first)[axis]);
  node.setOperand(0, inner->operand(0));
  node.setAttr("perm", Attribute(std::move(composed)));
  return true;
}

/// Binary op with a constant neutral element on the `side` operand.
bool simplifyNeutral(Node &node) {
  if (node.numOperands() != 2)
    return false;
  DType dtype = node.result(0)->type().dtype();
  bool exactZeroAdd = !isFloat(dtype);
  auto tryOperand = [&](size_t keep, size_t constant, auto pred) {
    Value *x = node.operand(keep);
    if (x->type() != node.result(0)->type() || !x->type().hasKnownDims() ||
        !allElements(node.operand(constant), pred))
      return false;
    replaceResult(node, x);
    return true;
  };
  switch (node.id()) {
  case OpId::Mul:
    return tryOperand(0, 1, isOne) || tryOperand(1, 0, isOne);
  case OpId::Div:
    return tryOperand(0, 1, isOne);
  case OpId::Sub:
    return tryOperand(0, 1, isZero);
  case OpId::Add:
    return exactZeroAdd
               ? tryOperand(0, 1, isZero) || tryOperand(1, 0, isZero)
               : tryOperand(0, 1, isNegativeZero) ||
                     tryOperand(1, 0, isNegativeZero);
  default:
    return false;
  }
}

bool simplifyIf(Node &node) {
  const Tensor *cond = constantValue(node.operand(0));
  if (!cond || cond->numElements() != 1)
    return false;
  const Graph &branch =
      node.attr(cond->getInt(0) ? "then_branch" : "else_branch")->getGraph();
  std::vector<Value *> results =
      inlineGraph(branch, *node.graph(), &node, node.captures());
  for (size_t i = 0; i < node.numResults(); ++i)
    node.result(i)->replaceAllUsesWith(results[i]);
  return true;
}

bool simplifyZeroTripLoop(Node &node) {
  const Tensor *trips = constantValue(node.operand(0));
  const Tensor *cond = constantValue(node.operand(1));
  bool zero = (trips && trips->numElements() == 1 && trips->getInt(0) <= 0) ||
              (cond && cond->numElements() == 1 && cond->getInt(0) == 0);
  if (!zero)
    return false;
  size_t carried = node.numOperands() - 2;
  // Scans of zero iterations are empty: [0, dims...], which needs their dims.
  for (size_t i = carried; i < node.numResults(); ++i)
    if (!node.result(i)->type().hasRank())
      return false;
  const Graph &body = node.attr("body")->getGraph();
  for (size_t i = carried; i < node.numResults(); ++i)
    if (!body.outputs()[1 + i]->type().isStatic())
      return false;
  Builder builder(*node.graph());
  builder.setInsertionPointAndLocation(&node);
  for (size_t i = 0; i < carried; ++i)
    node.result(i)->replaceAllUsesWith(node.operand(2 + i));
  for (size_t i = carried; i < node.numResults(); ++i) {
    const TensorType &element = body.outputs()[1 + i]->type();
    std::vector<Dim> dims = {Dim(0)};
    dims.insert(dims.end(), element.dims().begin(), element.dims().end());
    node.result(i)->replaceAllUsesWith(
        builder.constant(Tensor(TensorType(element.dtype(), std::move(dims)))));
  }
  return true;
}

bool keepReducedDims(Node &node) {
  const Value *axes = node.numOperands() == 2 ? node.operand(1) : nullptr;
  if (!axes || !node.def().attrSpec("keepdims") || node.intAttr("keepdims") ||
      constantValue(axes) || !axes->type().isStatic() || axes->type().rank() != 1 ||
      axes->type().dims()[0].size() < 1) // (no axes may mean "no reduction")
    return false;
  Builder builder(*node.graph());
  builder.setInsertionPointAndLocation(&node);
  NodeBuilder kept = builder.create(node.opName(), {node.operand(0), node.operand(1)});
  kept.attr("keepdims", Attribute(int64_t{1}));
  kept.attr("noop_with_empty_axes", Attribute(node.intAttr("noop_with_empty_axes")));
  Value *reduced = kept.result();
  Value *squeezed = reduced ? builder.op("squeeze", {reduced, node.operand(1)}) : nullptr;
  if (!squeezed)
    return false;
  replaceResult(node, squeezed);
  return true;
}

/// Applies the first rule that matches `node`; true if it rewrote.
bool simplifyNode(Node &node) {
  const OpDef &def = node.def();
  if (node.is(OpId::Identity) ||
      (node.is(OpId::Cast) &&
       node.operand(0)->type().dtype() == node.result(0)->type().dtype())) {
    replaceResult(node, node.operand(0));
    return true;
  }
  if (def.has(OpTrait::ShapeOnly)) {
    const TensorType &in = node.operand(0)->type();
    if (in == node.result(0)->type() && in.hasKnownDims()) {
      replaceResult(node, node.operand(0));
      return true;
    }
  }
  if (node.is(OpId::Reshape)) {
    Node *inner = node.operand(0)->definingNode();
    std::optional<std::vector<int64_t>> target;
    if (const Tensor *shape = constantValue(node.operand(1)))
      target = shape->toInts();
    bool copiesDims = !target || std::find(target->begin(), target->end(), 0) !=
                                     target->end();
    if (inner && inner->def().has(OpTrait::ShapeOnly) &&
        (!copiesDims || node.intAttr("allowzero"))) {
      node.setOperand(0, inner->operand(0));
      return true;
    }
  }
  if (node.is(OpId::Shape) && node.operand(0)->type().isStatic()) {
    std::vector<Dim> dims = node.operand(0)->type().dims();
    Tensor shape(TensorType(DType::I64, {static_cast<int64_t>(dims.size())}));
    for (size_t i = 0; i < dims.size(); ++i)
      shape.setInt(static_cast<int64_t>(i), dims[i].size());
    Builder builder(*node.graph());
    builder.setInsertionPointAndLocation(&node);
    replaceResult(node, builder.constant(std::move(shape)));
    return true;
  }
  if (node.is(OpId::Transpose))
    return simplifyTranspose(node);
  if (def.has(OpTrait::Elementwise))
    return simplifyNeutral(node);
  if (node.is(OpId::If))
    return simplifyIf(node);
  if (node.is(OpId::Loop))
    return simplifyZeroTripLoop(node);
  if (def.family == "reduction")
    return keepReducedDims(node);
  return false;
}

bool anyResultUsed(const Node &node) {
  for (size_t i = 0; i < node.numResults(); ++i)
    if (node.result(i)->hasUses())
      return true;
  return false;
}

} // namespace

LogicalResult simplify(Module &module, PassContext &) {
  module.walk([](Node &node) {
    if (anyResultUsed(node) && simplifyNode(node) && !anyResultUsed(node))
      node.graph()->eraseNode(&node);
  });
  return success();
}

} // namespace dlc
