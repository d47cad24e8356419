//===- Rowwise.cpp - Proving that work acts on each row alone -------------===//

#include "passes/Rowwise.h"

#include "ir/Clone.h"
#include "ir/OpRegistry.h"

#include <algorithm>
#include <map>
#include <set>

namespace dlc {
namespace {

/// How a row-wise node reads an operand: its rows (dim 0 runs with the
/// result's), or whole (a weight, a bias, a row-free value broadcast over
/// the rows).
enum class Use { Rows, Whole };

bool isOne(const Dim &dim) { return dim.isStatic() && dim.size() == 1; }

/// How `node` reads each operand if every row of its result depends only
/// on the same row of the operands it reads by rows; nullopt if not (or
/// not provably).
std::optional<std::vector<Use>> rowUses(const Node &node) {
  if (node.numResults() != 1 || !node.regions().empty())
    return std::nullopt;
  const TensorType &out = node.result(0)->type();
  if (!out.hasRank() || out.rank() == 0)
    return std::nullopt;
  const int64_t rank = out.rank();
  const Dim &rows = out.dim(0);
  // An operand of lower rank broadcasts over the rows (numpy rules align
  // trailing dims), as does one whose dim 0 is 1.
  auto broadcastUse = [&](const Value *operand) -> std::optional<Use> {
    const TensorType &type = operand->type();
    if (!type.hasRank() || type.rank() > rank)
      return std::nullopt;
    if (type.rank() < rank || isOne(type.dim(0)))
      return Use::Whole;
    if (type.dim(0) == rows)
      return Use::Rows;
    return std::nullopt;
  };
  auto rowsOperand = [&](const Value *operand, int64_t wantRank) {
    const TensorType &type = operand->type();
    return type.hasRank() && type.rank() == wantRank && type.dim(0) == rows;
  };
  Diagnostics scratch;
  InferContext ctx(node, scratch);
  auto axisIsNotRows = [&](std::string_view name) {
    int64_t axis;
    return succeeded(ctx.normalizeAxis(node.intAttr(name), rank, axis)) && axis != 0;
  };

  std::vector<Use> uses;
  if (node.def().has(OpTrait::Elementwise)) {
    for (const Value *operand : node.operands()) {
      std::optional<Use> use = broadcastUse(operand);
      if (!use)
        return std::nullopt;
      uses.push_back(*use);
    }
    return uses;
  }
  switch (node.id()) {
  case OpId::Matmul: // [rows, ..., k] x [k, n]: batch dims broadcast whole
    if (rank < 2 || !rowsOperand(node.operand(0), rank) ||
        !node.operand(1)->type().hasRank() || node.operand(1)->type().rank() != 2)
      return std::nullopt;
    return std::vector<Use>{Use::Rows, Use::Whole};
  case OpId::Gemm: {
    if (node.intAttr("trans_a") != 0 || !rowsOperand(node.operand(0), 2))
      return std::nullopt;
    uses = {Use::Rows, Use::Whole};
    if (node.numOperands() == 3) {
      std::optional<Use> bias = broadcastUse(node.operand(2));
      if (!bias)
        return std::nullopt;
      uses.push_back(*bias);
    }
    return uses;
  }
  case OpId::Softmax:
  case OpId::LogSoftmax:
    if (!axisIsNotRows("axis") || !rowsOperand(node.operand(0), rank))
      return std::nullopt;
    return std::vector<Use>{Use::Rows};
  case OpId::LayerNorm:
    if (!axisIsNotRows("axis") || !rowsOperand(node.operand(0), rank))
      return std::nullopt;
    uses = {Use::Rows};
    for (size_t i = 1; i < node.numOperands(); ++i) {
      if (broadcastUse(node.operand(i)) != Use::Whole)
        return std::nullopt;
      uses.push_back(Use::Whole);
    }
    return uses;
  case OpId::ReduceSum:
  case OpId::ReduceMean:
  case OpId::ReduceMax:
  case OpId::ReduceMin:
  case OpId::ReduceProd: {
    bool dynamic;
    std::optional<std::vector<int64_t>> axes = ctx.axesAttrOrOperand(1, dynamic);
    const TensorType &in = node.operand(0)->type();
    if (!axes || axes->empty() || !in.hasRank() || in.rank() == 0 ||
        !rowsOperand(node.operand(0), in.rank()))
      return std::nullopt;
    for (int64_t axis : *axes)
      if (axis == 0 || axis == -in.rank())
        return std::nullopt;
    uses = {Use::Rows};
    if (node.numOperands() == 2)
      uses.push_back(Use::Whole);
    return uses;
  }
  case OpId::Conv: // per image [N, C, spatial...]; weights, bias, statistics whole
  case OpId::BatchNorm:
  case OpId::InstanceNorm:
  case OpId::MaxPool:
  case OpId::AvgPool:
  case OpId::GlobalAvgPool:
  case OpId::GlobalMaxPool: {
    const TensorType &in = node.operand(0)->type();
    if (node.numResults() != 1 || !in.hasRank() || in.rank() < 3 ||
        !rowsOperand(node.operand(0), in.rank()))
      return std::nullopt;
    uses.assign(node.numOperands(), Use::Whole); // weights, bias, statistics
    uses[0] = Use::Rows;
    return uses;
  }
  case OpId::Flatten: { // rows kept when the split is past dim 0
    const TensorType &in = node.operand(0)->type();
    int64_t axis = node.intAttr("axis");
    if (!in.hasRank() || in.rank() == 0 || !rowsOperand(node.operand(0), in.rank()) ||
        (axis < 0 ? axis + in.rank() : axis) < 1)
      return std::nullopt;
    return std::vector<Use>{Use::Rows};
  }
  default:
    return std::nullopt;
  }
}

std::string describe(const Node &node) {
  std::string where = node.location().str();
  return "'" + std::string(node.opName()) + "'" + (where.empty() ? "" : " at " + where);
}

} // namespace

std::optional<RowwiseCone> rowwiseCone(Value &value, std::string &why) {
  Node *root = value.definingNode();
  const TensorType &type = value.type();
  if (!root || !type.hasRank() || type.rank() == 0 || isOne(type.dim(0)) ||
      type.dim(0).isUnknown()) {
    why = "the value has no row dim to split";
    return std::nullopt;
  }
  const Dim rows = type.dim(0);

  // The exclusive cone, visiting producers after their users.
  Graph &graph = *value.graph();
  std::set<const Node *> inCone{root};
  std::vector<Node *> reversed{root};
  bool before = false;
  for (auto it = graph.nodes().rbegin(); it != graph.nodes().rend(); ++it) {
    Node *node = it->get();
    if (node == root) {
      before = true;
      continue;
    }
    if (!before || node->def().has(OpTrait::ConstantLike) || !node->regions().empty())
      continue;
    bool exclusive = true, used = false;
    for (const Value *result : node->results()) {
      exclusive &= result->outputUses() == 0;
      for (const Node *user : result->users()) {
        used = true;
        exclusive &= inCone.count(user) > 0;
      }
    }
    if (used && exclusive) {
      inCone.insert(node);
      reversed.push_back(node);
    }
  }

  RowwiseCone cone;
  cone.nodes.assign(reversed.rbegin(), reversed.rend());
  std::map<const Value *, Use> leafUse;
  for (Node *node : cone.nodes) {
    std::optional<std::vector<Use>> uses = rowUses(*node);
    if (!uses || !(node->result(0)->type().dim(0) == rows)) {
      why = describe(*node) + " may mix rows";
      return std::nullopt;
    }
    for (size_t i = 0; i < node->numOperands(); ++i) {
      Value *operand = node->operand(i);
      Use use = (*uses)[i];
      if (inCone.count(operand->definingNode())) {
        if (use != Use::Rows) {
          why = describe(*node) + " broadcasts a row-wise value";
          return std::nullopt;
        }
        continue;
      }
      auto [it, fresh] = leafUse.emplace(operand, use);
      if (it->second != use) {
        why = describe(*node) + " reads a value both by rows and whole";
        return std::nullopt;
      }
      if (fresh && use == Use::Rows)
        cone.rowInputs.push_back(operand);
    }
    cone.hasContraction |= node->is(OpId::Matmul) || node->is(OpId::Gemm) || node->is(OpId::Conv);
  }
  return cone;
}

Value *cloneOnRows(const RowwiseCone &cone, Builder &builder,
                   const std::vector<Value *> &rows, const std::string &suffix) {
  ValueMap mapping;
  for (size_t i = 0; i < cone.rowInputs.size(); ++i)
    mapping[cone.rowInputs[i]] = rows.at(i);
  Node *copy = nullptr;
  for (const Node *node : cone.nodes) {
    copy = cloneNode(*node, builder.graph(), builder.insertionPoint(), mapping);
    Diagnostics scratch;
    std::optional<std::vector<TensorType>> types = inferResultTypes(*copy, scratch);
    for (size_t i = 0; i < copy->numResults(); ++i) {
      Value *result = copy->result(i);
      if (types)
        result->setType((*types)[i]);
      if (!result->name().empty())
        result->setName(result->name() + suffix);
    }
  }
  return copy->result(0);
}

bool forEachGraph(Module &module, const std::function<bool(const std::vector<Node *> &)> &visit) {
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
    if (visit(nodes))
      return true;
  }
  return false;
}

bool singleUse(const Value *value) {
  return value->users().size() == 1 && value->outputUses() == 0;
}

bool isSumRoot(const Value &sum) {
  const Node *node = sum.definingNode();
  if (!node || !node->is(OpId::Add))
    return false;
  return !(singleUse(&sum) && sum.users()[0]->is(OpId::Add) &&
           sum.users()[0]->result(0)->type() == sum.type());
}

namespace {
void collectTerms(Value *value, const TensorType &type, bool root,
                  std::set<const Value *> *sums, std::vector<Value *> &terms) {
  Node *node = value->definingNode();
  if (node && node->is(OpId::Add) && (root || singleUse(value)) &&
      node->operand(0)->type() == type && node->operand(1)->type() == type) {
    if (sums)
      sums->insert(value);
    collectTerms(node->operand(0), type, false, sums, terms);
    collectTerms(node->operand(1), type, false, sums, terms);
    return;
  }
  terms.push_back(value);
}
} // namespace

std::vector<Value *> sumTerms(Value &sum, std::set<const Value *> *sums) {
  std::vector<Value *> terms;
  collectTerms(&sum, sum.type(), true, sums, terms);
  return terms;
}

Value *rowsWhere(Builder &builder, Value *perRow) {
  const TensorType &type = perRow->type();
  Value *flat = perRow;
  if (type.rank() > 1) {
    std::vector<int64_t> axes;
    for (int64_t i = 1; i < type.rank(); ++i)
      axes.push_back(i);
    flat = builder.create("squeeze", {flat}).attr("axes", Attribute(axes)).result();
  }
  if (type.dtype() != DType::Bool) {
    Value *zero = builder.constant(Tensor(TensorType(type.dtype(), {})));
    flat = builder.op("not", {builder.op("equal", {flat, zero})});
  }
  Value *nonzero = builder.op("nonzero", {flat});
  return builder.create("squeeze", {nonzero}).attr("axes", {0}).result();
}

Value *zerosOfRows(Builder &builder, const TensorType &type, Value *perRow) {
  std::vector<Dim> dims = type.dims();
  dims[0] = Dim(1);
  Value *zeros = builder.constant(Tensor(TensorType(type.dtype(), dims)));
  return builder.op("expand", {zeros, builder.op("shape", {perRow})});
}

Value *scatterRows(Builder &builder, Value *acc, Value *rows, Value *updates,
                   const char *reduction) {
  Value *indices = builder.create("unsqueeze", {rows}).attr("axes", {1}).result();
  NodeBuilder scatter = builder.create("scatter_nd", {acc, indices, updates});
  if (std::string_view(reduction) != "none")
    scatter.attr("reduction", reduction);
  return scatter.result();
}

void takePlace(Value *value, Value *replacement) {
  replacement->setName(value->name());
  value->setName("");
  value->replaceAllUsesWith(replacement);
}

} // namespace dlc
