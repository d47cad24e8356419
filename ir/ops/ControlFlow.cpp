//===- ControlFlow.cpp - if and loop -------------------------------------===//
//
// `if(cond) captures(c...)` has graphs then_branch and else_branch; each
// takes the captures as inputs and both return values of the same dtypes.
//
// `loop(max_trip, cond, v...) captures(c...)` has one graph, body, with
// inputs (iteration: i64[], cond: bool[], v..., c...) and outputs
// (cond: bool[], v'..., s...). It runs while iteration < max_trip and cond
// holds; results are the final v and each s stacked along a new leading dim.
// These are ONNX's Loop semantics with captures made explicit.
//
// `call(args...) {callee = "k"}` runs the module's top-level graph @k.
//
// `fusion() captures(c...)` has one graph, body, that takes the captures
// and returns the results: a fused kernel (the `fuse` pass groups a kernel
// graph's ops into them; a code generator compiles each body as one
// kernel). Unlike `if` and `loop`, it is kernel work, not host control.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

#include <cstring>

namespace dlc {
namespace {

using namespace kernels;

/// True for bool scalars and single-element bool tensors.
bool isBoolScalar(const TensorType &type) {
  if (type.dtype() != DType::Bool)
    return false;
  if (!type.hasRank())
    return true;
  for (const Dim &dim : type.dims())
    if (!dim.isUnknown() && !(dim.isStatic() && dim.size() == 1))
      return false;
  return true;
}

/// "1 value", "2 values".
std::string count(size_t n, const std::string &noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

/// Checks that `graph`'s inputs from `first` on receive the node's captures.
LogicalResult checkCaptureInputs(InferContext &ctx, std::string_view region,
                                 const Graph &graph, size_t first) {
  const std::vector<Value *> &captures = ctx.node().captures();
  std::string where = "graph '" + std::string(region) + "' ";
  if (graph.numInputs() != first + captures.size())
    return ctx.error(where + "must take " + count(first, "input") + " plus " +
                     count(captures.size(), "capture") + ", has " +
                     count(graph.numInputs(), "input"));
  for (size_t i = 0; i < captures.size(); ++i)
    if (!graph.input(first + i)->type().compatibleWith(captures[i]->type()))
      return ctx.error(where + "input " + std::to_string(first + i) + " " +
                       graph.input(first + i)->type().str() +
                       " does not match capture " + std::to_string(i) + " " +
                       captures[i]->type().str());
  return success();
}

LogicalResult inferIf(InferContext &ctx) {
  if (!isBoolScalar(ctx.operandType(0)))
    return ctx.error("condition must be a bool scalar, got " +
                     ctx.operandType(0).str());
  Graph *thenGraph = ctx.region("then_branch");
  Graph *elseGraph = ctx.region("else_branch");
  if (failed(checkCaptureInputs(ctx, "then_branch", *thenGraph, 0)) ||
      failed(checkCaptureInputs(ctx, "else_branch", *elseGraph, 0)))
    return failure();
  const std::vector<Value *> &thenOut = thenGraph->outputs();
  const std::vector<Value *> &elseOut = elseGraph->outputs();
  if (thenOut.size() != elseOut.size())
    return ctx.error("branches return " + std::to_string(thenOut.size()) +
                     " and " + count(elseOut.size(), "value"));
  for (size_t i = 0; i < thenOut.size(); ++i) {
    const TensorType &a = thenOut[i]->type(), &b = elseOut[i]->type();
    if (a.dtype() != b.dtype())
      return ctx.error("branches return different dtypes for result " +
                       std::to_string(i) + ": " + a.str() + " and " + b.str());
    ctx.addResult(joinTypes(a, b));
  }
  return success();
}

LogicalResult inferLoop(InferContext &ctx) {
  const TensorType &trip = ctx.operandType(0), &cond = ctx.operandType(1);
  if (trip.dtype() != DType::I64 || (trip.hasRank() && trip.rank() > 1))
    return ctx.error("max trip count must be an i64 scalar, got " + trip.str());
  if (!isBoolScalar(cond))
    return ctx.error("condition must be a bool scalar, got " + cond.str());
  Graph *body = ctx.region("body");
  size_t carried = ctx.numOperands() - 2;
  if (failed(checkCaptureInputs(ctx, "body", *body, 2 + carried)))
    return failure();
  if (body->input(0)->type() != TensorType(DType::I64, {}) ||
      body->input(1)->type() != TensorType(DType::Bool, {}))
    return ctx.error("graph 'body' must start with inputs i64[] (iteration) "
                     "and bool[] (condition)");
  for (size_t i = 0; i < carried; ++i)
    if (body->input(2 + i)->type().dtype() != ctx.operandType(2 + i).dtype())
      return ctx.error("graph 'body' input " + std::to_string(2 + i) + " " +
                       body->input(2 + i)->type().str() +
                       " does not match loop-carried operand " +
                       ctx.operandType(2 + i).str());
  const std::vector<Value *> &outputs = body->outputs();
  if (outputs.size() < 1 + carried)
    return ctx.error("graph 'body' must return the condition and " +
                     count(carried, "loop-carried value") + ", returns " +
                     count(outputs.size(), "value"));
  if (!isBoolScalar(outputs[0]->type()))
    return ctx.error("graph 'body' must return a bool scalar condition first, "
                     "got " + outputs[0]->type().str());
  for (size_t i = 0; i < carried; ++i) {
    const TensorType &in = ctx.operandType(2 + i);
    const TensorType &out = outputs[1 + i]->type();
    if (in.dtype() != out.dtype())
      return ctx.error("graph 'body' returns " + out.str() +
                       " for loop-carried operand " + in.str());
    ctx.addResult(joinTypes(joinTypes(in, out), body->input(2 + i)->type()));
  }
  for (size_t i = 1 + carried; i < outputs.size(); ++i) {
    const TensorType &scan = outputs[i]->type();
    if (!scan.hasRank()) {
      ctx.addResult(scan);
      continue;
    }
    std::vector<Dim> dims = {Dim::unknown()};
    dims.insert(dims.end(), scan.dims().begin(), scan.dims().end());
    ctx.addResult(TensorType(scan.dtype(), std::move(dims)));
  }
  return success();
}

LogicalResult evalIf(EvalContext &ctx) {
  if (ctx.input(0).numElements() != 1)
    return ctx.error("condition has " +
                     std::to_string(ctx.input(0).numElements()) +
                     " elements at run time, expected 1");
  Graph *branch =
      ctx.region(ctx.input(0).getInt(0) ? "then_branch" : "else_branch");
  std::optional<std::vector<TensorRef>> results =
      ctx.runGraph(*branch, ctx.captures());
  if (!results)
    return failure();
  for (TensorRef &result : *results)
    ctx.addOutput(std::move(result));
  return success();
}

/// Stacks equally shaped tensors along a new leading dim.
LogicalResult stack(EvalContext &ctx, const std::vector<TensorRef> &parts,
                    const TensorType &declared) {
  Shape shape;
  if (!parts.empty()) {
    shape = shapeOf(*parts[0]);
  } else if (declared.hasRank()) {
    // No iterations: an empty stack, with the static dims that are known.
    for (int64_t d = 1; d < declared.rank(); ++d)
      shape.push_back(declared.dim(d).isStatic() ? declared.dim(d).size() : 0);
  }
  for (const TensorRef &part : parts)
    if (shapeOf(*part) != shape)
      return ctx.error("scan output changes shape between iterations: " +
                       parts[0]->type().str() + " then " + part->type().str());
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  Tensor *out = ctx.addOutput(typeOf(declared.dtype(), shape));
  if (!out)
    return failure();
  size_t offset = 0;
  for (const TensorRef &part : parts) {
    std::memcpy(out->bytes().data() + offset, part->bytes().data(),
                part->bytes().size());
    offset += part->bytes().size();
  }
  return success();
}

LogicalResult evalLoop(EvalContext &ctx) {
  Graph *body = ctx.region("body");
  int64_t maxTrip = ctx.input(0).getInt(0);
  bool cond = ctx.input(1).getInt(0);
  size_t carried = ctx.numOperands() - 2;
  std::vector<TensorRef> state;
  for (size_t i = 0; i < carried; ++i)
    state.push_back(ctx.sharedInput(2 + i));
  size_t scans = body->outputs().size() - 1 - carried;
  std::vector<std::vector<TensorRef>> scanned(scans);
  for (int64_t iteration = 0; iteration < maxTrip && cond; ++iteration) {
    if (iteration >= ctx.options().maxLoopIterations)
      return ctx.error("ran more than " +
                       std::to_string(ctx.options().maxLoopIterations) +
                       " iterations (the interpreter's limit)");
    std::vector<TensorRef> inputs;
    auto counter = std::make_shared<Tensor>(TensorType(DType::I64, {}));
    counter->setInt(0, iteration);
    auto condition = std::make_shared<Tensor>(TensorType(DType::Bool, {}));
    condition->setInt(0, cond);
    inputs.push_back(std::move(counter));
    inputs.push_back(std::move(condition));
    inputs.insert(inputs.end(), state.begin(), state.end());
    inputs.insert(inputs.end(), ctx.captures().begin(), ctx.captures().end());
    std::optional<std::vector<TensorRef>> outputs = ctx.runGraph(*body, inputs);
    if (!outputs)
      return failure();
    cond = (*outputs)[0]->numElements() > 0 && (*outputs)[0]->getInt(0);
    for (size_t i = 0; i < carried; ++i)
      state[i] = (*outputs)[1 + i];
    for (size_t i = 0; i < scans; ++i)
      scanned[i].push_back((*outputs)[1 + carried + i]);
  }
  for (TensorRef &value : state)
    ctx.addOutput(std::move(value));
  for (size_t i = 0; i < scans; ++i)
    if (failed(stack(ctx, scanned[i], ctx.node().result(carried + i)->type())))
      return failure();
  return success();
}

// call(args...) {callee = "name"}: runs the module's top-level graph `name`
// on the arguments; its results are the callee's outputs. What `split`
// outlines straight-line kernels into.
LogicalResult inferCall(InferContext &ctx) {
  std::string name = ctx.stringAttr("callee");
  Module *module = ctx.node().graph()->module();
  const Graph *callee = module ? module->graph(name) : nullptr;
  if (!callee)
    return ctx.error("calls unknown graph @" + name);
  if (callee->numInputs() != ctx.numOperands())
    return ctx.error("@" + name + " takes " + count(callee->numInputs(), "input") +
                     ", got " + std::to_string(ctx.numOperands()));
  // At run time the operands are concrete: the callee's types must admit
  // them; at compile time the types must be compatible.
  for (size_t i = 0; i < ctx.numOperands(); ++i)
    if (ctx.operandType(i).isStatic()
            ? !callee->input(i)->type().admits(ctx.operandType(i)) &&
                  !callee->input(i)->type().compatibleWith(ctx.operandType(i))
            : !callee->input(i)->type().compatibleWith(ctx.operandType(i)))
      return ctx.error("operand " + std::to_string(i) + " " + ctx.operandType(i).str() +
                       " does not match input " + std::to_string(i) + " " +
                       callee->input(i)->type().str() + " of @" + name);
  for (const Value *output : callee->outputs())
    ctx.addResult(output->type());
  return success();
}

LogicalResult evalCall(EvalContext &ctx) {
  const Graph *callee = ctx.node().graph()->module()->graph(ctx.stringAttr("callee"));
  std::vector<TensorRef> inputs;
  for (size_t i = 0; i < ctx.numOperands(); ++i)
    inputs.push_back(ctx.sharedInput(i));
  std::optional<std::vector<TensorRef>> results = ctx.runGraph(*callee, inputs);
  if (!results)
    return failure();
  for (TensorRef &result : *results)
    ctx.addOutput(std::move(result));
  return success();
}

LogicalResult inferFusion(InferContext &ctx) {
  Graph *body = ctx.region("body");
  if (failed(checkCaptureInputs(ctx, "body", *body, 0)))
    return failure();
  for (const Value *output : body->outputs())
    ctx.addResult(output->type());
  return success();
}

LogicalResult evalFusion(EvalContext &ctx) {
  std::optional<std::vector<TensorRef>> results =
      ctx.runGraph(*ctx.region("body"), ctx.captures());
  if (!results)
    return failure();
  for (TensorRef &result : *results)
    ctx.addOutput(std::move(result));
  return success();
}

} // namespace

void registerControlFlowOps(OpRegistry &registry) {
  registry.add({"fusion", "control", 0, 0, {{"body", AttrKind::Graph, true}}, inferFusion,
                evalFusion});
  registry.add({"call", "control", 0, kVariadic,
                {{"callee", AttrKind::String, true}}, inferCall, evalCall});
  registry.add({"if", "control", 1, 1,
                {{"then_branch", AttrKind::Graph, true},
                 {"else_branch", AttrKind::Graph, true}},
                inferIf, evalIf});
  registry.add({"loop", "control", 2, kVariadic,
                {{"body", AttrKind::Graph, true}}, inferLoop, evalLoop});
}

} // namespace dlc
