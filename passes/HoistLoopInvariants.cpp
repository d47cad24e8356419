//===- HoistLoopInvariants.cpp - Loop-invariant code motion ---------------===//
//
// A node of a `loop` body whose operands are all loop-invariant (captures of
// the loop, constants, other invariant nodes) computes the same value on
// every iteration: it moves in front of the loop and the body captures its
// results instead. Nested loops are visited first, so an invariant of the
// inner loop can leave the outer one too.
//
// When it moves (the one rule that keeps results and errors as they were):
// hoisting runs the node even if the loop then runs zero times, so a node
// that can fail at run time (an index out of range, an integer division by
// zero, a size mismatch of symbolic dims) moves only out of a loop that
// provably runs at least once (a constant trip count >= 1 and a constant
// true condition). Otherwise only nodes that cannot fail move: elementwise
// float arithmetic whose operands have the result's type or are scalars.
// Constants stay in the body (they cost nothing per iteration); one a moved
// node reads is copied in front of the loop. Nodes with nested graphs stay.
//
//===----------------------------------------------------------------------===//

#include "ir/Clone.h"
#include "ir/OpRegistry.h"
#include "ir/Tensor.h"
#include "passes/Passes.h"

#include <set>
#include <vector>

namespace dlc {

namespace {

/// True if the loop runs its body at least once (the converse of
/// simplify's zero-trip rule).
bool runsAtLeastOnce(const Node &loop) {
  const Tensor *trips = constantValue(loop.operand(0));
  const Tensor *cond = constantValue(loop.operand(1));
  return trips && trips->numElements() == 1 && trips->getInt(0) >= 1 && cond &&
         cond->numElements() == 1 && cond->getInt(0) != 0;
}

/// True if `node` cannot fail at run time whatever its operands hold.
bool cannotFail(const Node &node) {
  if (!node.def().has(OpTrait::Elementwise) || node.numResults() != 1)
    return false;
  const TensorType &result = node.result(0)->type();
  if (!isFloat(result.dtype()) || !result.hasRank())
    return false;
  for (const Value *operand : node.operands()) {
    const TensorType &type = operand->type();
    if (!isFloat(type.dtype()) || !type.hasRank())
      return false;
    if (type.rank() != 0 && !(type.dims() == result.dims()))
      return false;
  }
  return true;
}

constexpr std::string_view kPass = "hoist-loop-invariants";

class Hoister {
public:
  Hoister(Node &loop, PassContext &context)
      : loop_(loop), body_(*loop.regions().front()), context_(context) {}

  /// Moves the invariant nodes; true if any moved.
  bool run() {
    Graph &outer = *loop_.graph();
    size_t firstCapture = body_.numInputs() - loop_.captures().size();
    for (size_t i = firstCapture; i < body_.numInputs(); ++i)
      outside_[body_.input(i)] = loop_.captures()[i - firstCapture];
    bool once = runsAtLeastOnce(loop_);
    std::vector<Node *> moving;
    for (const auto &owned : body_.nodes()) {
      Node &node = *owned;
      if (node.def().has(OpTrait::ConstantLike)) {
        constants_.insert(&node);
        continue;
      }
      if (!node.regions().empty())
        continue;
      bool invariant = true;
      for (const Value *operand : node.operands())
        invariant = invariant && (outside_.count(operand) ||
                                  constants_.count(operand->definingNode()) ||
                                  moved_.count(operand->definingNode()));
      if (!invariant)
        continue;
      if (!once && !cannotFail(node)) {
        context_.remark(kPass, Remark::Kind::Missed, node.location(),
                        "'" + std::string(node.opName()) +
                            "' is loop-invariant but stays in its loop: it can fail at run "
                            "time and the loop may run zero times");
        continue;
      }
      context_.remark(kPass, Remark::Kind::Applied, node.location(),
                      "moved '" + std::string(node.opName()) + "' out of its loop");
      moved_.insert(&node);
      moving.push_back(&node);
    }
    for (Node *node : moving) {
      for (const Value *operand : node->operands()) // body constants: copied
        if (!outside_.count(operand))
          cloneNode(*operand->definingNode(), outer, &loop_, outside_);
      cloneNode(*node, outer, &loop_, outside_);
    }
    // The body reads the moved results through new captures; the moved
    // nodes go, last first (a moved node may read an earlier one).
    for (Node *node : moving)
      for (size_t r = 0; r < node->numResults(); ++r) {
        Value *result = node->result(r);
        if (!usedOutsideMoved(result))
          continue;
        loop_.addCapture(outside_.at(result));
        result->replaceAllUsesWith(body_.input(body_.numInputs() - 1));
      }
    for (auto it = moving.rbegin(); it != moving.rend(); ++it)
      body_.eraseNode(*it);
    return !moving.empty();
  }

private:
  /// True if a node that stays in the body (or the body's outputs) reads
  /// `value`.
  bool usedOutsideMoved(const Value *value) const {
    if (value->outputUses() > 0)
      return true;
    for (const Node *user : value->users())
      if (!moved_.count(user))
        return true;
    return false;
  }

  Node &loop_;
  Graph &body_;
  PassContext &context_;
  ValueMap outside_; ///< body value -> the outer graph's

  std::set<const Node *> constants_, moved_;
};

} // namespace

LogicalResult hoistLoopInvariants(Module &module, PassContext &context) {
  for (const auto &graph : module.graphs())
    graph->walk([&](Node &node) {
      if (node.is(OpId::Loop))
        Hoister(node, context).run();
    });
  return success();
}

} // namespace dlc
