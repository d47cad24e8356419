//===- Tensor.cpp - ONNX ops that create, reshape and index tensors ------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

LogicalResult importConstant(NodeContext &ctx) {
  if (const onnx::AttributeProto *value = ctx.attr("value")) {
    std::optional<Tensor> tensor =
        ctx.graph().convertTensor(value->t(), "of node '" + ctx.proto().name() + "'");
    if (!tensor)
      return failure();
    ctx.setOutputs({ctx.constant(std::move(*tensor))});
    return success();
  }
  auto list = [&](DType dtype, size_t count, auto get, bool scalar) {
    Tensor tensor(scalar ? TensorType(dtype, {})
                         : TensorType(dtype, {static_cast<int64_t>(count)}));
    for (size_t i = 0; i < count; ++i)
      tensor.setDouble(i, get(i));
    return tensor;
  };
  if (const onnx::AttributeProto *a = ctx.attr("value_float")) {
    ctx.setOutputs({ctx.constant(list(DType::F32, 1, [&](size_t) { return a->f(); }, true))});
  } else if (const onnx::AttributeProto *a = ctx.attr("value_floats")) {
    ctx.setOutputs({ctx.constant(list(DType::F32, a->floats_size(), [&](size_t i) { return a->floats(i); }, false))});
  } else if (const onnx::AttributeProto *a = ctx.attr("value_int")) {
    Tensor t(TensorType(DType::I64, {}));
    t.setInt(0, a->i());
    ctx.setOutputs({ctx.constant(std::move(t))});
  } else if (const onnx::AttributeProto *a = ctx.attr("value_ints")) {
    ctx.setOutputs({ctx.i64s(std::vector<int64_t>(a->ints().begin(), a->ints().end()))});
  } else {
    return ctx.unsupported("only tensor, float(s) and int(s) values are "
                           "supported");
  }
  return success();
}

LogicalResult importConstantOfShape(NodeContext &ctx) {
  Tensor fill(TensorType(DType::F32, {}));
  if (const onnx::AttributeProto *value = ctx.attr("value")) {
    std::optional<Tensor> tensor = ctx.graph().convertTensor(value->t(), "value");
    if (!tensor)
      return failure();
    if (tensor->numElements() != 1)
      return ctx.error("'value' must hold one element");
    fill = Tensor(TensorType(tensor->dtype(), {}), tensor->bytes());
  }
  ctx.setOutputs({ctx.op("expand", {ctx.constant(std::move(fill)), ctx.input(0)})});
  return success();
}

// Shape with opset-15 start/end is shape then slice.
LogicalResult importShape(NodeContext &ctx) {
  Value *shape = ctx.op("shape", {ctx.input(0)});
  if (shape && (ctx.hasAttr("start") || ctx.hasAttr("end")))
    shape = ctx.op("slice", {shape, ctx.i64s({ctx.attrInt("start", 0)}),
                             ctx.i64s({ctx.attrInt("end", INT64_MAX)})});
  ctx.setOutputs({shape});
  return success();
}

LogicalResult importSize(NodeContext &ctx) {
  Value *shape = ctx.op("shape", {ctx.input(0)});
  ctx.setOutputs({shape ? ctx.create("reduce_prod", {shape}).attr("keepdims", 0).result()
                        : nullptr});
  return success();
}

LogicalResult importReshape(NodeContext &ctx) {
  Value *shape = ctx.opset() < 5 ? ctx.i64s(ctx.attrInts("shape").value_or(std::vector<int64_t>{}))
                                 : ctx.input(1);
  ctx.setOutputs({ctx.create("reshape", {ctx.input(0), shape})
                      .attr("allowzero", ctx.attrInt("allowzero", 0))
                      .result()});
  return success();
}

LogicalResult importFlatten(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("flatten", {ctx.input(0)})
                      .attr("axis", ctx.attrInt("axis", 1))
                      .result()});
  return success();
}

/// Squeeze and Unsqueeze: axes from the attribute (< 13) or a constant input.
LogicalResult importSqueeze(NodeContext &ctx) {
  bool dynamic;
  std::optional<std::vector<int64_t>> axes = ctx.intsFromAttrOrInput("axes", 1, dynamic);
  bool squeeze = ctx.opType() == "Squeeze";
  std::vector<Value *> operands = {ctx.input(0)};
  if (dynamic)
    operands.push_back(ctx.input(1)); // axes known at run time only
  NodeBuilder node = ctx.create(squeeze ? "squeeze" : "unsqueeze", operands);
  if (axes)
    node.attr("axes", Attribute(*axes));
  ctx.setOutputs({node.result()});
  return success();
}

LogicalResult importTranspose(NodeContext &ctx) {
  NodeBuilder node = ctx.create("transpose", {ctx.input(0)});
  if (std::optional<std::vector<int64_t>> perm = ctx.attrInts("perm"))
    node.attr("perm", Attribute(*perm));
  ctx.setOutputs({node.result()});
  return success();
}

LogicalResult importConcat(NodeContext &ctx) {
  std::vector<Value *> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i)
    operands.push_back(ctx.input(i));
  ctx.setOutputs({ctx.create("concat", operands)
                      .attr("axis", ctx.attrInt("axis", 1))
                      .result()});
  return success();
}

LogicalResult importSlice(NodeContext &ctx) {
  std::vector<Value *> operands = {ctx.input(0)};
  if (ctx.opset() < 10) {
    operands.push_back(ctx.i64s(ctx.attrInts("starts").value_or(std::vector<int64_t>{})));
    operands.push_back(ctx.i64s(ctx.attrInts("ends").value_or(std::vector<int64_t>{})));
    if (std::optional<std::vector<int64_t>> axes = ctx.attrInts("axes"))
      operands.push_back(ctx.i64s(*axes));
  } else {
    for (size_t i = 1; i < ctx.numInputs(); ++i) {
      Value *value = ctx.input(i);
      if (!value && i == 3) { // steps without axes: all leading axes
        std::optional<std::vector<int64_t>> starts = ctx.constantInts(ctx.input(1));
        if (!starts)
          return ctx.unsupported("steps without axes need constant starts");
        std::vector<int64_t> axes(starts->size());
        for (size_t a = 0; a < axes.size(); ++a)
          axes[a] = static_cast<int64_t>(a);
        value = ctx.i64s(axes);
      }
      if (!value)
        break;
      if (value->type().dtype() != DType::I64)
        value = ctx.create("cast", {value}).attr("to", "i64").result();
      operands.push_back(value);
    }
  }
  ctx.setOutputs({ctx.op("slice", operands)});
  return success();
}

// Split: consecutive slices along `axis`, sizes from the attribute / input,
// or equal parts.
LogicalResult importSplit(NodeContext &ctx) {
  Value *x = ctx.input(0);
  const TensorType &type = x->type();
  if (!type.hasRank())
    return ctx.unsupported("input of unknown rank");
  int64_t axis = ctx.attrInt("axis", 0);
  if (axis < 0)
    axis += type.rank();
  if (axis < 0 || axis >= type.rank())
    return ctx.error("axis out of range");
  bool dynamic;
  std::optional<std::vector<int64_t>> sizes = ctx.intsFromAttrOrInput("split", 1, dynamic);
  size_t parts = ctx.numOutputs();
  if (dynamic) {
    // Sizes known at run time: part i is x[start_i : start_i + split[i]]
    // with start_i = sum(split[:i]).
    Value *split = ctx.input(1);
    std::vector<Value *> outputs;
    for (size_t i = 0; i < parts; ++i) {
      int64_t at = static_cast<int64_t>(i);
      Value *before = ctx.op("slice", {split, ctx.i64s({0}), ctx.i64s({at})});
      Value *start = before ? ctx.create("reduce_sum", {before}).attr("keepdims", 1).result() : nullptr;
      Value *size = ctx.op("slice", {split, ctx.i64s({at}), ctx.i64s({at + 1})});
      Value *end = start && size ? ctx.op("add", {start, size}) : nullptr;
      outputs.push_back(end ? ctx.op("slice", {x, start, end, ctx.i64s({axis})}) : nullptr);
    }
    ctx.setOutputs(outputs);
    return success();
  }
  if (!sizes) {
    if (!type.dim(axis).isStatic())
      return ctx.unsupported("equal split of a non-static dim");
    int64_t total = type.dim(axis).size();
    int64_t each = (total + static_cast<int64_t>(parts) - 1) / static_cast<int64_t>(parts);
    sizes.emplace();
    for (size_t i = 0; i < parts; ++i)
      sizes->push_back(std::min(each, total - each * static_cast<int64_t>(i)));
  }
  if (sizes->size() != parts)
    return ctx.error("has " + std::to_string(parts) + " outputs but " +
                     std::to_string(sizes->size()) + " split sizes");
  std::vector<Value *> outputs;
  int64_t start = 0;
  for (int64_t size : *sizes) {
    outputs.push_back(ctx.op("slice", {x, ctx.i64s({start}), ctx.i64s({start + size}),
                                       ctx.i64s({axis})}));
    start += size;
  }
  ctx.setOutputs(outputs);
  return success();
}

LogicalResult importExpand(NodeContext &ctx) {
  ctx.setOutputs({ctx.op("expand", {ctx.input(0), ctx.input(1)})});
  return success();
}

LogicalResult importGather(NodeContext &ctx) {
  ctx.setOutputs({ctx.create(ctx.opType() == "Gather" ? "gather" : "gather_elements",
                             {ctx.input(0), ctx.input(1)})
                      .attr("axis", ctx.attrInt("axis", 0))
                      .result()});
  return success();
}

LogicalResult importScatterElements(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("scatter_elements", {ctx.input(0), ctx.input(1), ctx.input(2)})
                      .attr("axis", ctx.attrInt("axis", 0))
                      .attr("reduction", ctx.attrString("reduction", "none"))
                      .result()});
  return success();
}

LogicalResult importScatterNd(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("scatter_nd", {ctx.input(0), ctx.input(1), ctx.input(2)})
                      .attr("reduction", ctx.attrString("reduction", "none"))
                      .result()});
  return success();
}

LogicalResult importTopK(NodeContext &ctx) {
  Value *k = ctx.opset() < 10 ? ctx.i64s({ctx.attrInt("k", 1)}) : ctx.input(1);
  std::vector<Value *> results = ctx.create("topk", {ctx.input(0), k})
                                     .attr("axis", ctx.attrInt("axis", -1))
                                     .attr("largest", ctx.attrInt("largest", 1))
                                     .attr("sorted", ctx.attrInt("sorted", 1))
                                     .results();
  ctx.setOutputs(results);
  return success();
}

LogicalResult importNonZero(NodeContext &ctx) {
  ctx.setOutputs({ctx.op("nonzero", {ctx.input(0)})});
  return success();
}

} // namespace

void registerTensorImporters(ImporterTable &table) {
  table["Constant"] = importConstant;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Shape"] = importShape;
  table["Size"] = importSize;
  table["Reshape"] = importReshape;
  table["Flatten"] = importFlatten;
  table["Squeeze"] = importSqueeze;
  table["Unsqueeze"] = importSqueeze;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Slice"] = importSlice;
  table["Split"] = importSplit;
  table["Expand"] = importExpand;
  table["Gather"] = importGather;
  table["GatherElements"] = importGather;
  table["Scatter"] = importScatterElements;
  table["ScatterElements"] = importScatterElements;
  table["ScatterND"] = importScatterNd;
  table["TopK"] = importTopK;
  table["NonZero"] = importNonZero;
}

} // namespace dlc::onnximport
