//===- BatchLoops.cpp - Per-sample loops become batched computation -------===//
//
// Scripted models (torch.jit.script) process a batch one sample at a time:
//
//   out = zeros_like(x)
//   for i in range(x.size(0)):
//     if gate(x[i]) > 0: out[i] = heavy(x[i])
//     else:              out[i] = light(x[i])
//
// exported as a loop over N = x.dim(0) whose body gathers row i, decides
// with an `if`, and writes row i with scatter_nd into the carried output.
// The host then runs N iterations of small kernels. This pass lifts the
// body to the whole batch: every op that computes from row i runs once on
// all rows (x[i] becomes x, a matmul of a row a matmul of the rows, a
// reduction over the row's axes one over the same axes past the batch
// dim), and the `if` becomes a per-sample select,
//
//   out = where(gate(x) > 0, heavy(x), light(x))
//
// which branch-batch (next in the pipeline) partitions: each branch runs
// on the samples that take it, in one kernel per branch.
//
// What makes it exact: each iteration writes row i, and only row i, of
// the carried output (every path of the body ends in that scatter), the
// loop runs once per row of x, and the lifted ops compute each row exactly
// as the iteration did (they act on rows alone: elementwise with row-free
// operands broadcast, matmul of rows against a row-free matrix, reductions
// and softmax over the row's own axes). Anything else in the body (an op
// mixing rows, a value carried between iterations, a scan output) leaves
// the loop as it is, with a missed remark.
//
//===----------------------------------------------------------------------===//

#include "ir/Builder.h"
#include "ir/Clone.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"
#include "passes/Rowwise.h"

#include <map>
#include <optional>
#include <string>

namespace dlc {
namespace {

constexpr std::string_view kPass = "batch-loops";

/// Lifts a loop body's per-sample values to the batch, into the loop's
/// graph (before the loop).
class Lifter {
public:
  Lifter(Node &loop, Value *rows, PassContext &context)
      : loop_(loop), body_(*loop.regions()[0]), rows_(rows), b_(*loop.graph(), &context.diag) {
    b_.setInsertionPointAndLocation(&loop);
    counter_ = body_.input(0);
  }

  /// The batched value of the loop's carried output, or null (`why` set).
  Value *carried(std::string &why) {
    Value *next = body_.outputs()[1];
    Value *out = written(next, body_.input(2));
    if (!out)
      why = why_.empty() ? "the body does not write row i of its output on every path" : why_;
    return out;
  }

private:
  /// The batch of rows `value` (a body value) writes into `acc` (the
  /// carried input as `value`'s graph sees it): a scatter of one row at i,
  /// or an `if` whose branches each do so.
  Value *written(Value *value, Value *acc) {
    Node *node = value->definingNode();
    if (!node)
      return nullptr;
    if (node->is(OpId::ScatterNd) && node->stringAttr("reduction") == "none" &&
        node->operand(0) == acc && isRowIndex(node->operand(1)))
      return rowValue(node->operand(2));
    if (!node->is(OpId::If) || node->numResults() != 1)
      return nullptr;
    Value *cond = lift(node->operand(0));
    if (!cond || !cond->type().hasRank() || cond->type().rank() != 1)
      return nullptr; // a per-sample scalar condition
    std::vector<Value *> branches;
    for (Graph *branch : {&node->attr("then_branch")->getGraph(),
                          &node->attr("else_branch")->getGraph()}) {
      // Branch inputs are the if's captures.
      for (size_t c = 0; c < node->captures().size(); ++c)
        alias_[branch->input(c)] = node->captures()[c];
      Value *branchAcc = nullptr;
      for (size_t c = 0; c < node->captures().size(); ++c)
        if (node->captures()[c] == acc)
          branchAcc = branch->input(c);
      Value *rows = branchAcc ? written(branch->outputs()[0], branchAcc) : nullptr;
      if (!rows)
        return nullptr;
      branches.push_back(rows);
    }
    const TensorType &type = branches[0]->type();
    if (!(branches[1]->type() == type) || !type.hasRank())
      return nullptr;
    std::vector<int64_t> perSample(static_cast<size_t>(type.rank()), 1);
    perSample[0] = -1;
    Value *select = b_.op("reshape", {cond, b_.ints(perSample)});
    return b_.op("where", {select, branches[0], branches[1]});
  }

  /// unsqueeze(unsqueeze(i)) or reshape(i, [1, 1]): the index of row i.
  bool isRowIndex(const Value *value) const {
    const Value *v = resolve(value);
    for (int depth = 0; depth < 3; ++depth) {
      if (v == counter_)
        return depth > 0;
      const Node *node = v->definingNode();
      if (!node || !(node->is(OpId::Unsqueeze) || node->is(OpId::Reshape)))
        return false;
      v = resolve(node->operand(0));
    }
    return false;
  }

  /// The batch of the rows `update` ([1, D...]: one row) holds.
  Value *rowValue(Value *update) {
    const Node *node = update->definingNode();
    const TensorType &type = update->type();
    if (!node || !type.hasRank() || type.rank() == 0 || !(type.dim(0) == Dim(1)))
      return nullptr;
    Value *row = nullptr;
    if (node->is(OpId::Unsqueeze)) {
      const Attribute *axes = node->attr("axes");
      if (axes && axes->getInts() == std::vector<int64_t>{0})
        row = node->operand(0);
    } else if (node->is(OpId::Reshape)) {
      row = node->operand(0);
    }
    if (!row || !row->type().hasRank() || row->type().rank() + 1 != type.rank())
      return nullptr;
    for (int64_t d = 0; d < row->type().rank(); ++d)
      if (!(row->type().dim(d) == type.dim(d + 1)))
        return nullptr;
    return lift(row);
  }

  /// The value a branch input stands for (the if's capture), followed up.
  const Value *resolve(const Value *value) const {
    for (auto it = alias_.find(value); it != alias_.end(); it = alias_.find(value))
      value = it->second;
    return value;
  }
  Value *resolve(Value *value) const { return const_cast<Value *>(resolve((const Value *)value)); }

  /// The outer value a row-free body value is: a capture of the loop.
  Value *rowFree(Value *value) {
    value = resolve(value);
    for (size_t c = 0; c < loop_.captures().size(); ++c)
      if (body_.input(2 + 1 + c) == value)
        return loop_.captures()[c];
    if (Node *node = value->definingNode(); node && node->def().has(OpTrait::ConstantLike)) {
      ValueMap mapping;
      return cloneNode(*node, *loop_.graph(), &loop_, mapping)->result(0);
    }
    return nullptr;
  }

  /// The batch of `value` (a per-sample body value), built before the
  /// loop; null if some op on the way does not lift.
  Value *lift(Value *value) {
    value = resolve(value);
    if (auto it = lifted_.find(value); it != lifted_.end())
      return it->second;
    Value *out = liftNode(value);
    if (out)
      lifted_[value] = out;
    return out;
  }

  Value *liftNode(Value *value) {
    Node *node = value->definingNode();
    if (!node || node->numResults() != 1 || !node->regions().empty()) {
      why_ = "a per-sample value is not computed by an op that lifts";
      return nullptr;
    }
    // x[i]: the rows of x.
    if (node->is(OpId::Gather) && node->intAttr("axis") == 0 &&
        resolve(node->operand(1)) == counter_) {
      Value *rows = rowFree(node->operand(0));
      if (rows && rows->type().hasRank() && rows->type().rank() > 0 &&
          rows->type().dim(0) == rows_->type().dim(0))
        return rows;
      why_ = "the body reads a row of a value not over the loop's rows";
      return nullptr;
    }
    const int64_t rank = value->type().hasRank() ? value->type().rank() : -1;
    std::vector<Value *> operands;
    std::vector<bool> perSample;
    bool any = false;
    for (Value *operand : node->operands()) {
      Value *source = resolve(operand);
      if (Value *free = rowFree(source)) {
        operands.push_back(free);
        perSample.push_back(false);
        continue;
      }
      Value *batch = lift(source);
      if (!batch)
        return nullptr;
      operands.push_back(batch);
      perSample.push_back(true);
      any = true;
    }
    if (!any || rank < 0) {
      why_ = "a value the body computes from no sample (hoist it first)";
      return nullptr;
    }
    // An expand that leaves the sample's shape as it is (torch's index_put
    // writes one) is the sample itself.
    if (node->is(OpId::Expand) && perSample[0] && !perSample[1] &&
        node->operand(0)->type() == value->type())
      return operands[0];
    // The copy: same op and attributes, but a per-sample axis a >= 0 is
    // batch axis a + 1 (negative axes count from the end: they stay).
    auto shifted = [](int64_t axis) { return axis >= 0 ? axis + 1 : axis; };
    std::vector<std::pair<std::string, Attribute>> attrs;
    for (const auto &[name, attr] : node->attrs()) {
      switch (attr.kind()) {
      case AttrKind::Int: attrs.emplace_back(name, Attribute(attr.getInt())); break;
      case AttrKind::Float: attrs.emplace_back(name, Attribute(attr.getFloat())); break;
      case AttrKind::String: attrs.emplace_back(name, Attribute(attr.getString())); break;
      case AttrKind::Ints: attrs.emplace_back(name, Attribute(attr.getInts())); break;
      default: return fail("'" + std::string(node->opName()) + "' has attributes that do not lift");
      }
    }
    auto set = [&](const std::string &name, Attribute value) {
      for (auto &[have, attr] : attrs)
        if (have == name) {
          attr = std::move(value);
          return;
        }
      attrs.emplace_back(name, std::move(value));
    };
    if (node->def().has(OpTrait::Elementwise)) {
      for (size_t i = 0; i < operands.size(); ++i)
        if (!perSample[i] &&
            (!operands[i]->type().hasRank() || operands[i]->type().rank() > rank))
          return fail("a row-free operand broadcasts the sample to a bigger shape");
    } else if (node->is(OpId::Matmul)) {
      if (!perSample[0] || perSample[1] || !operands[1]->type().hasRank() ||
          operands[1]->type().rank() != 2)
        return fail("a matmul not of the sample by a row-free matrix");
    } else if (node->is(OpId::Softmax) || node->is(OpId::LogSoftmax)) {
      set("axis", Attribute(shifted(node->intAttr("axis"))));
    } else if (node->is(OpId::ReduceSum) || node->is(OpId::ReduceMean) ||
               node->is(OpId::ReduceMax) || node->is(OpId::ReduceMin)) {
      if (node->numOperands() > 1)
        return fail("reduction axes given as a tensor");
      std::vector<int64_t> axes;
      if (const Attribute *given = node->attr("axes"))
        for (int64_t a : given->getInts())
          axes.push_back(shifted(a));
      else
        for (int64_t a = 0; a < node->operand(0)->type().rank(); ++a)
          axes.push_back(a + 1); // every axis of the sample
      if (axes.empty())
        return fail("a reduction over no axes");
      set("axes", Attribute(axes));
    } else if (!(node->is(OpId::Expand) && !perSample[1])) {
      // (expand to a row-free shape broadcasts the batch along)
      return fail("'" + std::string(node->opName()) + "' does not lift to the batch");
    }
    NodeBuilder copy = b_.create(node->opName(), operands);
    for (auto &[name, attr] : attrs)
      copy.attr(name, std::move(attr));
    Value *out = copy.result();
    if (!out || !out->type().hasRank() || out->type().rank() != rank + 1)
      return fail("'" + std::string(node->opName()) + "' changed rank when lifted");
    return out;
  }

  Value *fail(std::string why) {
    why_ = std::move(why);
    return nullptr;
  }

  Node &loop_;
  Graph &body_;
  Value *rows_;   ///< the value whose dim 0 the loop runs over
  Value *counter_; ///< the body's iteration number
  Builder b_;
  std::map<const Value *, const Value *> alias_;
  std::map<const Value *, Value *> lifted_;
  std::string why_;
};

/// The value whose rows `loop` runs over (trip count gather(shape(x), 0)),
/// if it is a per-sample loop: condition always true, one carried value of
/// x's rows, no scan outputs.
Value *rowsOf(const Node &loop) {
  const Graph &body = *loop.regions()[0];
  const Tensor *cond = constantValue(loop.operand(1));
  if (!cond || cond->numElements() != 1 || !cond->getInt(0) || loop.numOperands() != 3 ||
      body.outputs().size() != 2 || loop.numResults() != 1)
    return nullptr;
  // The condition stays true: passed through, or a true constant (in the
  // body or captured).
  const Value *next = body.outputs()[0];
  for (size_t c = 0; c < loop.captures().size(); ++c)
    if (next == body.input(3 + c))
      next = loop.captures()[c];
  const Tensor *nextValue = constantValue(next);
  if (next != body.input(1) && !(nextValue && nextValue->numElements() == 1 && nextValue->getInt(0)))
    return nullptr;
  const Node *gather = loop.operand(0)->definingNode();
  if (!gather || !gather->is(OpId::Gather) || gather->intAttr("axis") != 0)
    return nullptr;
  const Node *shape = gather->operand(0)->definingNode();
  const Tensor *index = constantValue(gather->operand(1));
  if (!shape || !shape->is(OpId::Shape) || !index || index->numElements() != 1 ||
      index->getInt(0) != 0)
    return nullptr;
  Value *rows = shape->operand(0);
  const TensorType &out = loop.result(0)->type();
  if (!rows->type().hasRank() || rows->type().rank() == 0 || !out.hasRank() || out.rank() == 0 ||
      !(out.dim(0) == rows->type().dim(0)))
    return nullptr;
  return rows;
}

} // namespace

LogicalResult batchLoops(Module &module, PassContext &context) {
  bool changed = false, attempted = false;
  std::vector<Graph *> graphs;
  for (const auto &graph : module.graphs())
    graphs.push_back(graph.get());
  for (Graph *graph : graphs) {
    std::vector<Node *> loops;
    for (const auto &node : graph->nodes())
      if (node->is(OpId::Loop))
        loops.push_back(node.get());
    for (Node *loop : loops) {
      Value *rows = rowsOf(*loop);
      if (!rows)
        continue;
      attempted = true;
      std::string why;
      Value *batch = Lifter(*loop, rows, context).carried(why);
      if (!batch || !(batch->type().hasRank()) ||
          batch->type().rank() != loop->result(0)->type().rank()) {
        context.remark(kPass, Remark::Kind::Missed, loop->location(),
                       "the loop over the batch stays: " +
                           (why.empty() ? std::string("its result's shape differs") : why));
        continue;
      }
      context.remark(kPass, Remark::Kind::Applied, loop->location(),
                     "the loop over the batch runs as batched ops (its if a per-sample select)");
      takePlace(loop->result(0), batch);
      changed = true;
    }
  }
  // What a lift that stopped half way built goes too.
  if (changed)
    return canonicalize(module, context);
  return attempted ? eliminateDeadCode(module, context) : success();
}

} // namespace dlc
