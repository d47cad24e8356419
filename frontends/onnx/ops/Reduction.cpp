//===- Reduction.cpp - ONNX reductions and arg-reductions ----------------===//
//
// ReduceL1/L2/LogSum/LogSumExp/SumSquare are compositions around
// reduce_sum. Axes come from the attribute or (ReduceSum >= 13) a constant
// input; with noop_with_empty_axes and no axes the op is the identity.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

LogicalResult importReduce(NodeContext &ctx) {
  Value *x = ctx.input(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> axes = ctx.intsFromAttrOrInput("axes", 1, dynamic);
  if (!dynamic && (!axes || axes->empty()) && ctx.attrInt("noop_with_empty_axes", 0)) {
    ctx.setOutputs({ctx.op("identity", {x})});
    return success();
  }
  const std::string &type = ctx.opType();
  // The value reduced, the IR reduction, and what is applied after.
  Value *operand = x;
  std::string reduction = "reduce_sum", after;
  if (type == "ReduceMean") reduction = "reduce_mean";
  else if (type == "ReduceMax") reduction = "reduce_max";
  else if (type == "ReduceMin") reduction = "reduce_min";
  else if (type == "ReduceProd") reduction = "reduce_prod";
  else if (type == "ReduceL1") operand = ctx.op("abs", {x});
  else if (type == "ReduceL2") operand = ctx.op("mul", {x, x}), after = "sqrt";
  else if (type == "ReduceSumSquare") operand = ctx.op("mul", {x, x});
  else if (type == "ReduceLogSum") after = "log";
  else if (type == "ReduceLogSumExp") operand = ctx.op("exp", {x}), after = "log";
  if (!operand)
    return failure();
  std::vector<Value *> operands = {operand};
  if (dynamic)
    operands.push_back(ctx.input(1)); // axes known at run time only
  NodeBuilder node = ctx.create(reduction, operands);
  if (axes && !axes->empty())
    node.attr("axes", Attribute(*axes));
  node.attr("keepdims", ctx.attrInt("keepdims", 1));
  if (dynamic && ctx.attrInt("noop_with_empty_axes", 0))
    node.attr("noop_with_empty_axes", int64_t(1));
  Value *result = node.result();
  if (result && !after.empty())
    result = ctx.op(after, {result});
  ctx.setOutputs({result});
  return success();
}

LogicalResult importArgReduce(NodeContext &ctx) {
  ctx.setOutputs({ctx.create(ctx.opType() == "ArgMax" ? "argmax" : "argmin", {ctx.input(0)})
                      .attr("axis", ctx.attrInt("axis", 0))
                      .attr("keepdims", ctx.attrInt("keepdims", 1))
                      .attr("select_last_index", ctx.attrInt("select_last_index", 0))
                      .result()});
  return success();
}

} // namespace

void registerReductionImporters(ImporterTable &table) {
  for (const char *name : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                           "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                           "ReduceLogSum", "ReduceLogSumExp"})
    table[name] = importReduce;
  table["ArgMax"] = importArgReduce;
  table["ArgMin"] = importArgReduce;
}

} // namespace dlc::onnximport
