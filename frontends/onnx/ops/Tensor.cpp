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
  std::optional<int64_t> axis = ctx.axisOf(x, "axis", 0);
  if (!axis)
    return failure();
  bool dynamic;
  std::optional<std::vector<int64_t>> sizes = ctx.intsFromAttrOrInput("split", 1, dynamic);
  int64_t parts = static_cast<int64_t>(ctx.numOutputs());
  if (dynamic) {
    ctx.setOutputs(ctx.splitDynamic(x, *axis, ctx.input(1), parts));
    return success();
  }
  if (!sizes) { // equal parts, the last one possibly shorter
    const Dim &dim = x->type().dim(*axis);
    if (!dim.isStatic())
      return ctx.unsupported("equal split of a non-static dim");
    int64_t each = (dim.size() + parts - 1) / parts;
    sizes.emplace();
    for (int64_t i = 0; i < parts; ++i)
      sizes->push_back(std::min(each, dim.size() - each * i));
  }
  if (static_cast<int64_t>(sizes->size()) != parts)
    return ctx.error("has " + std::to_string(parts) + " outputs but " +
                     std::to_string(sizes->size()) + " split sizes");
  ctx.setOutputs(ctx.splitStatic(x, *axis, *sizes));
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

/// Ops whose inputs and attributes map one to one (attribute names given
/// with their defaults).
LogicalResult importSimple(NodeContext &ctx) {
  struct Spec {
    const char *op;
    std::vector<std::pair<const char *, int64_t>> intAttrs;
  };
  static const std::map<std::string, Spec, std::less<>> specs = {
      {"Range", {"range", {}}},
      {"Tile", {"tile", {}}},
      {"Trilu", {"trilu", {{"upper", 1}}}},
      {"CumSum", {"cumsum", {{"exclusive", 0}, {"reverse", 0}}}},
      {"GatherND", {"gather_nd", {{"batch_dims", 0}}}},
      {"OneHot", {"one_hot", {{"axis", -1}}}},
  };
  const Spec &spec = specs.at(ctx.opType());
  std::vector<Value *> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i)
    if (Value *value = ctx.input(i))
      operands.push_back(value);
  NodeBuilder node = ctx.create(spec.op, operands);
  for (const auto &[name, fallback] : spec.intAttrs)
    node.attr(name, ctx.attrInt(name, fallback));
  ctx.setOutputs({node.result()});
  return success();
}

// Optional middle inputs get their defaults: no boxes, threshold 0.
LogicalResult importNms(NodeContext &ctx) {
  std::vector<Value *> operands = {ctx.input(0), ctx.input(1)};
  if (ctx.numInputs() > 2)
    operands.push_back(ctx.input(2) ? ctx.input(2) : ctx.i64s({0}));
  if (ctx.numInputs() > 3)
    operands.push_back(ctx.input(3) ? ctx.input(3) : ctx.scalar(DType::F32, 0));
  if (ctx.numInputs() > 4 && ctx.input(4))
    operands.push_back(ctx.input(4));
  ctx.setOutputs({ctx.create("non_max_suppression", operands)
                      .attr("center_point_box", ctx.attrInt("center_point_box", 0))
                      .result()});
  return success();
}

LogicalResult importReverseSequence(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("reverse_sequence", {ctx.input(0), ctx.input(1)})
                      .attr("batch_axis", ctx.attrInt("batch_axis", 1))
                      .attr("time_axis", ctx.attrInt("time_axis", 0))
                      .result()});
  return success();
}

LogicalResult importUnique(NodeContext &ctx) {
  NodeBuilder node = ctx.create("unique", {ctx.input(0)});
  if (ctx.hasAttr("axis"))
    node.attr("axis", ctx.attrInt("axis", 0));
  node.attr("sorted", ctx.attrInt("sorted", 1));
  ctx.setOutputs(node.results());
  return success();
}

LogicalResult importCompress(NodeContext &ctx) {
  NodeBuilder node = ctx.create("compress", {ctx.input(0), ctx.input(1)});
  if (ctx.hasAttr("axis"))
    node.attr("axis", ctx.attrInt("axis", 0));
  ctx.setOutputs({node.result()});
  return success();
}

LogicalResult importBitShift(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("bit_shift", {ctx.input(0), ctx.input(1)})
                      .attr("direction", ctx.attrString("direction", ""))
                      .result()});
  return success();
}

LogicalResult importPad(NodeContext &ctx) {
  Value *x = ctx.input(0);
  std::string mode = ctx.attrString("mode", "constant");
  std::vector<Value *> operands = {x};
  if (ctx.opset() < 11) {
    operands.push_back(ctx.i64s(ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads")
                                    .value_or(std::vector<int64_t>{})));
    operands.push_back(ctx.scalar(x->type().dtype(), ctx.attrFloat("value", 0.0)));
  } else {
    operands.push_back(ctx.input(1));
    if (Value *value = ctx.input(2))
      operands.push_back(value->type().hasRank() && value->type().rank() == 1
                             ? ctx.create("reshape", {value, ctx.i64s({})}).result()
                             : value);
    if (ctx.hasInput(3))
      return ctx.unsupported("the axes input is not supported");
  }
  ctx.setOutputs({ctx.create("pad", operands).attr("mode", mode).result()});
  return success();
}

/// Dim `d` of `x` as an i64 scalar value.
Value *dimScalar(NodeContext &ctx, Value *x, int64_t d) {
  Value *shape = ctx.op("shape", {x});
  Tensor index(TensorType(DType::I64, {}));
  index.setInt(0, d);
  return shape ? ctx.op("gather", {shape, ctx.constant(std::move(index))}) : nullptr;
}

// EyeLike: ones where column - row == k.
LogicalResult importEyeLike(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  if (ctx.hasAttr("dtype")) {
    std::optional<DType> given = dtypeFromOnnx(static_cast<int32_t>(ctx.attrInt("dtype", 1)));
    if (!given)
      return ctx.error("unsupported dtype " + onnxTypeName(static_cast<int32_t>(ctx.attrInt("dtype", 1))));
    dtype = *given;
  }
  Value *zero = ctx.scalar(DType::I64, 0), *one = ctx.scalar(DType::I64, 1);
  Value *rows = ctx.op("range", {zero, dimScalar(ctx, x, 0), one});
  Value *cols = ctx.op("range", {zero, dimScalar(ctx, x, 1), one});
  Value *column = rows ? ctx.create("unsqueeze", {rows}).attr("axes", {1}).result() : nullptr;
  Value *diff = column && cols ? ctx.op("sub", {cols, column}) : nullptr;
  Value *eye = diff ? ctx.op("equal", {diff, ctx.scalar(DType::I64, ctx.attrInt("k", 0))}) : nullptr;
  ctx.setOutputs({eye ? ctx.create("cast", {eye}).attr("to", std::string(dtypeName(dtype))).result()
                      : nullptr});
  return success();
}

/// DepthToSpace / SpaceToDepth as reshape, transpose, reshape (static dims).
LogicalResult importDepthSpace(NodeContext &ctx) {
  Value *x = ctx.input(0);
  const TensorType &type = x->type();
  int64_t b = ctx.attrInt("blocksize", 0);
  if (!type.hasRank() || type.rank() != 4 || !type.dim(1).isStatic() ||
      !type.dim(2).isStatic() || !type.dim(3).isStatic() || b <= 0)
    return ctx.unsupported("needs a static N,C,H,W input and a blocksize, got " + type.str());
  int64_t c = type.dim(1).size(), h = type.dim(2).size(), w = type.dim(3).size();
  std::vector<int64_t> first, perm, last;
  if (ctx.opType() == "DepthToSpace") {
    if (c % (b * b))
      return ctx.error("channels must be divisible by blocksize^2");
    if (ctx.attrString("mode", "DCR") == "CRD") {
      first = {0, c / (b * b), b, b, h, w};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      first = {0, b, b, c / (b * b), h, w};
      perm = {0, 3, 4, 1, 5, 2};
    }
    last = {0, c / (b * b), h * b, w * b};
  } else {
    if (h % b || w % b)
      return ctx.error("spatial dims must be divisible by blocksize");
    first = {0, c, h / b, b, w / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    last = {0, c * b * b, h / b, w / b};
  }
  Value *split = ctx.op("reshape", {x, ctx.i64s(first)});
  Value *moved = split ? ctx.create("transpose", {split}).attr("perm", Attribute(perm)).result() : nullptr;
  ctx.setOutputs({moved ? ctx.op("reshape", {moved, ctx.i64s(last)}) : nullptr});
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
  for (const char *name : {"Range", "Tile", "Trilu", "CumSum", "GatherND", "OneHot"})
    table[name] = importSimple;
  table["Compress"] = importCompress;
  table["Unique"] = importUnique;
  table["NonMaxSuppression"] = importNms;
  table["ReverseSequence"] = importReverseSequence;
  table["BitShift"] = importBitShift;
  table["Pad"] = importPad;
  table["EyeLike"] = importEyeLike;
  table["DepthToSpace"] = importDepthSpace;
  table["SpaceToDepth"] = importDepthSpace;

}

} // namespace dlc::onnximport
