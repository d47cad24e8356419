//===- ControlFlow.cpp - ONNX If and Loop --------------------------------===//
//
// Branches and bodies become nested graphs. Names a body takes from
// enclosing graphs become the node's captures, in first-use order, and
// trailing inputs of every nested graph of the node.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

LogicalResult importIf(NodeContext &ctx) {
  const onnx::AttributeProto *thenAttr = ctx.attr("then_branch");
  const onnx::AttributeProto *elseAttr = ctx.attr("else_branch");
  if (!thenAttr || !elseAttr)
    return ctx.error("needs then_branch and else_branch");
  std::vector<std::string> captures =
      GraphImporter::freeNames({&thenAttr->g(), &elseAttr->g()});
  std::unique_ptr<Graph> thenGraph = ctx.graph().importRegion(thenAttr->g(), {}, captures);
  std::unique_ptr<Graph> elseGraph =
      thenGraph ? ctx.graph().importRegion(elseAttr->g(), {}, captures) : nullptr;
  if (!elseGraph)
    return failure();
  std::vector<Value *> captured;
  for (const std::string &name : captures)
    captured.push_back(ctx.graph().lookup(name));
  ctx.setOutputs(ctx.create("if", {ctx.input(0)})
                     .captures(captured)
                     .attr("then_branch", Attribute(std::move(thenGraph)))
                     .attr("else_branch", Attribute(std::move(elseGraph)))
                     .results());
  return success();
}

// Loop(M, cond, v...): a missing M runs unbounded, a missing cond is true.
LogicalResult importLoop(NodeContext &ctx) {
  const onnx::AttributeProto *bodyAttr = ctx.attr("body");
  if (!bodyAttr)
    return ctx.error("needs a body");
  const onnx::GraphProto &body = bodyAttr->g();
  Value *trip = ctx.input(0);
  if (!trip) {
    Tensor unbounded(TensorType(DType::I64, {}));
    unbounded.setInt(0, INT64_MAX);
    trip = ctx.constant(std::move(unbounded));
  }
  Value *cond = ctx.input(1);
  if (!cond) {
    Tensor yes(TensorType(DType::Bool, {}));
    yes.setInt(0, 1);
    cond = ctx.constant(std::move(yes));
  }
  // Shapes of loop-carried values may change between iterations: the body
  // sees them with the declared dtype and rank but unknown dims.
  std::vector<TensorType> formals = {TensorType(DType::I64, {}),
                                     TensorType(DType::Bool, {})};
  std::vector<Value *> operands = {trip, cond};
  for (size_t i = 2; i < ctx.numInputs(); ++i) {
    Value *value = ctx.input(i);
    if (!value)
      return ctx.error("loop-carried input " + std::to_string(i) + " is missing");
    operands.push_back(value);
    const TensorType &type = value->type();
    formals.push_back(type.hasRank()
                          ? TensorType(type.dtype(), std::vector<Dim>(type.rank()))
                          : type);
  }
  if (body.input_size() != static_cast<int>(formals.size()))
    return ctx.error("body takes " + std::to_string(body.input_size()) +
                     " inputs, expected " + std::to_string(formals.size()));
  std::vector<std::string> captures = GraphImporter::freeNames({&body});
  std::unique_ptr<Graph> graph = ctx.graph().importRegion(body, formals, captures);
  if (!graph)
    return failure();
  std::vector<Value *> captured;
  for (const std::string &name : captures)
    captured.push_back(ctx.graph().lookup(name));
  ctx.setOutputs(ctx.create("loop", operands)
                     .captures(captured)
                     .attr("body", Attribute(std::move(graph)))
                     .results());
  return success();
}

} // namespace

void registerControlFlowImporters(ImporterTable &table) {
  table["If"] = importIf;
  table["Loop"] = importLoop;
}

} // namespace dlc::onnximport
