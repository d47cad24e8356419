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

// Scan (opset 9+) becomes a loop over the scan axis: the body gathers
// element i (or n-1-i for reverse inputs) of each scan input, runs the Scan
// body, and returns its states and scan outputs; the loop stacks the scan
// outputs along dim 0, which are then reversed and moved as requested.
LogicalResult importScan(NodeContext &ctx) {
  if (ctx.opset() < 9)
    return ctx.unsupported("Scan before opset 9 (batched form)");
  const onnx::AttributeProto *bodyAttr = ctx.attr("body");
  if (!bodyAttr)
    return ctx.error("needs a body");
  const onnx::GraphProto &body = bodyAttr->g();
  int64_t scans = ctx.attrInt("num_scan_inputs", 0);
  int64_t states = static_cast<int64_t>(ctx.numInputs()) - scans;
  if (scans < 1 || states < 0 || body.input_size() != states + scans)
    return ctx.error("num_scan_inputs does not match the inputs and the body");
  auto listAttr = [&](const char *name, int64_t count) {
    std::vector<int64_t> values = ctx.attrInts(name).value_or(std::vector<int64_t>{});
    values.resize(count, 0);
    return values;
  };
  int64_t scanOutputs = body.output_size() - states;
  std::vector<int64_t> inAxes = listAttr("scan_input_axes", scans);
  std::vector<int64_t> inDirs = listAttr("scan_input_directions", scans);
  std::vector<int64_t> outAxes = listAttr("scan_output_axes", scanOutputs);
  std::vector<int64_t> outDirs = listAttr("scan_output_directions", scanOutputs);

  std::vector<Value *> scanValues;
  for (int64_t j = 0; j < scans; ++j) {
    Value *value = ctx.input(states + j);
    if (!value || !value->type().hasRank())
      return ctx.unsupported("scan inputs of unknown rank");
    if (inAxes[j] < 0)
      inAxes[j] += value->type().rank();
    scanValues.push_back(value);
  }
  // Trip count: the length of the first scan input along its axis.
  Value *shape = ctx.op("shape", {scanValues[0]});
  Tensor axisIndex(TensorType(DType::I64, {}));
  axisIndex.setInt(0, inAxes[0]);
  Value *trips = shape ? ctx.op("gather", {shape, ctx.constant(std::move(axisIndex))}) : nullptr;
  Tensor yes(TensorType(DType::Bool, {}));
  yes.setInt(0, 1);
  Value *cond = ctx.constant(std::move(yes));
  if (!trips)
    return failure();

  // The loop body: (i, cond, states..., captures: scan inputs, trips, free names).
  std::vector<std::string> free = GraphImporter::freeNames({&body});
  auto graph = std::make_unique<Graph>();
  GraphImporter child(ctx.graph().module(), *graph, ctx.graph().diag(),
                      ctx.graph().file(), ctx.graph().opset(), &ctx.graph());
  Builder &inner = child.builder();
  Value *iteration = graph->addInput(TensorType(DType::I64, {}), "iteration");
  graph->addInput(TensorType(DType::Bool, {}), "condition");
  std::vector<Value *> operands = {trips, cond};
  for (int64_t s = 0; s < states; ++s) {
    Value *init = ctx.input(s);
    const TensorType &type = init->type();
    operands.push_back(init);
    child.defineValue(body.input(s).name(),
                      graph->addInput(type.hasRank() ? TensorType(type.dtype(), std::vector<Dim>(type.rank()))
                                                     : type,
                                      body.input(s).name()));
  }
  std::vector<Value *> captured;
  std::vector<Value *> scanInner;
  for (Value *value : scanValues) {
    captured.push_back(value);
    scanInner.push_back(graph->addInput(value->type()));
  }
  captured.push_back(trips);
  Value *innerTrips = graph->addInput(trips->type());
  for (const std::string &name : free) {
    Value *outer = ctx.graph().lookup(name);
    if (!outer)
      return ctx.error("body refers to '" + name + "', which no enclosing graph defines");
    captured.push_back(outer);
    child.defineValue(name, graph->addInput(outer->type(), name));
  }
  for (int64_t j = 0; j < scans; ++j) {
    Value *index = iteration;
    if (inDirs[j]) {
      Value *last = inner.op("sub", {innerTrips, iteration});
      Tensor one(TensorType(DType::I64, {}));
      one.setInt(0, 1);
      index = last ? inner.op("sub", {last, inner.constant(std::move(one))}) : nullptr;
    }
    Value *element = index ? inner.create("gather", {scanInner[j], index})
                                 .attr("axis", inAxes[j]).result()
                           : nullptr;
    if (!element)
      return failure();
    child.defineValue(body.input(states + j).name(), element);
  }
  if (failed(child.importBody(body)))
    return failure();
  std::vector<Value *> bodyOutputs = graph->outputs();
  std::vector<std::string> names = graph->outputNames();
  Tensor keepGoing(TensorType(DType::Bool, {}));
  keepGoing.setInt(0, 1);
  bodyOutputs.insert(bodyOutputs.begin(), inner.constant(std::move(keepGoing)));
  names.insert(names.begin(), "");
  graph->setOutputs(bodyOutputs, std::move(names));

  std::vector<Value *> results = ctx.create("loop", operands)
                                     .captures(captured)
                                     .attr("body", Attribute(std::move(graph)))
                                     .results();
  if (results.empty())
    return failure();
  for (int64_t k = 0; k < scanOutputs; ++k) {
    Value *&value = results[states + k];
    if (outDirs[k]) // reverse along the stacked dim
      value = ctx.op("slice", {value, ctx.i64s({-1}), ctx.i64s({INT64_MIN}),
                               ctx.i64s({0}), ctx.i64s({-1})});
    if (value && outAxes[k] != 0 && value->type().hasRank()) {
      int64_t rank = value->type().rank(), axis = outAxes[k] < 0 ? outAxes[k] + rank : outAxes[k];
      std::vector<int64_t> perm;
      for (int64_t d = 1; d < rank; ++d)
        perm.push_back(d);
      perm.insert(perm.begin() + axis, 0);
      value = ctx.create("transpose", {value}).attr("perm", Attribute(perm)).result();
    }
  }
  ctx.setOutputs(results);
  return success();
}

} // namespace

void registerControlFlowImporters(ImporterTable &table) {
  table["If"] = importIf;
  table["Loop"] = importLoop;
  table["Scan"] = importScan;
}

} // namespace dlc::onnximport
