//===- NN.cpp - ONNX matmul, convolution, pooling, normalization ---------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

LogicalResult importMatMul(NodeContext &ctx) {
  ctx.setOutputs({ctx.op("matmul", {ctx.input(0), ctx.input(1)})});
  return success();
}

LogicalResult importEinsum(NodeContext &ctx) {
  std::vector<Value *> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i)
    operands.push_back(ctx.input(i));
  ctx.setOutputs({ctx.create("einsum", operands)
                      .attr("equation", ctx.attrString("equation", ""))
                      .result()});
  return success();
}

LogicalResult importGridSample(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("grid_sample", {ctx.input(0), ctx.input(1)})
                      .attr("mode", ctx.attrString("mode", "bilinear"))
                      .attr("padding_mode", ctx.attrString("padding_mode", "zeros"))
                      .attr("align_corners", ctx.attrInt("align_corners", 0))
                      .result()});
  return success();
}

LogicalResult importDft(NodeContext &ctx) {
  std::vector<Value *> operands = {ctx.input(0)};
  if (Value *length = ctx.input(1))
    operands.push_back(length);
  ctx.setOutputs({ctx.create("dft", operands)
                      .attr("axis", ctx.attrInt("axis", 1))
                      .attr("inverse", ctx.attrInt("inverse", 0))
                      .attr("onesided", ctx.attrInt("onesided", 0))
                      .result()});
  return success();
}

// STFT without a window uses a rectangular one of frame_length.
LogicalResult importStft(NodeContext &ctx) {
  Value *window = ctx.input(2);
  if (!window) {
    Value *length = ctx.input(3);
    if (!length)
      return ctx.error("needs a window or a frame_length");
    Value *shape = ctx.op("reshape", {ctx.create("cast", {length}).attr("to", "i64").result(),
                                      ctx.i64s({1})});
    window = shape ? ctx.op("expand", {ctx.scalar(ctx.input(0)->type().dtype(), 1.0), shape})
                   : nullptr;
  }
  if (!window)
    return failure();
  ctx.setOutputs({ctx.create("stft", {ctx.input(0), ctx.input(1), window})
                      .attr("onesided", ctx.attrInt("onesided", 1))
                      .result()});
  return success();
}

LogicalResult importRoiAlign(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("roi_align", {ctx.input(0), ctx.input(1), ctx.input(2)})
                      .attr("mode", ctx.attrString("mode", "avg"))
                      .attr("coordinate_transformation_mode",
                            ctx.attrString("coordinate_transformation_mode", "half_pixel"))
                      .attr("output_height", ctx.attrInt("output_height", 1))
                      .attr("output_width", ctx.attrInt("output_width", 1))
                      .attr("sampling_ratio", ctx.attrInt("sampling_ratio", 0))
                      .attr("spatial_scale", ctx.attrFloat("spatial_scale", 1.0))
                      .result()});
  return success();
}

LogicalResult importDet(NodeContext &ctx) {
  ctx.setOutputs({ctx.op("det", {ctx.input(0)})});
  return success();
}

LogicalResult importLrn(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("lrn", {ctx.input(0)})
                      .attr("size", ctx.attrInt("size", 0))
                      .attr("alpha", ctx.attrFloat("alpha", 1e-4))
                      .attr("beta", ctx.attrFloat("beta", 0.75))
                      .attr("bias", ctx.attrFloat("bias", 1.0))
                      .result()});
  return success();
}

LogicalResult importGemm(NodeContext &ctx) {
  std::vector<Value *> operands = {ctx.input(0), ctx.input(1)};
  if (Value *c = ctx.input(2))
    operands.push_back(c);
  ctx.setOutputs({ctx.create("gemm", operands)
                      .attr("alpha", ctx.attrFloat("alpha", 1.0))
                      .attr("beta", ctx.attrFloat("beta", 1.0))
                      .attr("trans_a", ctx.attrInt("transA", 0))
                      .attr("trans_b", ctx.attrInt("transB", 0))
                      .result()});
  return success();
}

/// A window attribute with one int per spatial dim (`count` of them; pads
/// have two per dim), `fallback` each when absent, every one at least
/// `least`. Empty optional after an error: the file's attributes are
/// checked before the importer computes with them.
std::optional<std::vector<int64_t>> windowInts(NodeContext &ctx, std::string_view name,
                                               size_t count, int64_t fallback,
                                               int64_t least) {
  std::vector<int64_t> values =
      ctx.attrInts(name).value_or(std::vector<int64_t>(count, fallback));
  if (values.size() != count) {
    (void)ctx.error("attribute '" + std::string(name) + "' has " +
                    std::to_string(values.size()) + " values, expected " +
                    std::to_string(count));
    return std::nullopt;
  }
  for (int64_t value : values)
    if (value < least || value > kMaxDimSize) {
      (void)ctx.error("attribute '" + std::string(name) + "' has the value " +
                      std::to_string(value) + ", out of range");
      return std::nullopt;
    }
  return values;
}

/// Explicit pads for a window op: `pads`, or computed from `auto_pad`
/// (which needs static spatial dims). Empty optional after an error.
std::optional<std::vector<int64_t>> windowPads(NodeContext &ctx, Value *x,
                                               const std::vector<int64_t> &kernel) {
  size_t spatial = kernel.size();
  const TensorType &type = x->type();
  if (type.hasRank() && type.rank() != static_cast<int64_t>(2 + spatial)) {
    (void)ctx.error("a " + std::to_string(spatial) + "-D window needs an input of rank " +
                    std::to_string(2 + spatial) + ", got " + type.str());
    return std::nullopt;
  }
  for (int64_t size : kernel)
    if (size < 1 || size > kMaxDimSize) {
      (void)ctx.error("kernel size " + std::to_string(size) + " is out of range");
      return std::nullopt;
    }
  std::optional<std::vector<int64_t>> strides = windowInts(ctx, "strides", spatial, 1, 1);
  std::optional<std::vector<int64_t>> dilations = windowInts(ctx, "dilations", spatial, 1, 1);
  if (!strides || !dilations)
    return std::nullopt;
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET" || autoPad.empty())
    return windowInts(ctx, "pads", 2 * spatial, 0, 0);
  if (autoPad == "VALID")
    return std::vector<int64_t>(2 * spatial, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    (void)ctx.error("unknown auto_pad '" + autoPad + "'");
    return std::nullopt;
  }
  std::vector<int64_t> pads(2 * spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    if (!type.hasRank() || !type.dim(2 + i).isStatic()) {
      (void)ctx.unsupported("auto_pad needs static spatial dims, got " + type.str());
      return std::nullopt;
    }
    int64_t in = type.dim(2 + i).size();
    int64_t stride = (*strides)[i], dilation = (*dilations)[i];
    int64_t out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>(0, (out - 1) * stride + (kernel[i] - 1) * dilation + 1 - in);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + spatial] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}

/// Copies the window attributes shared by conv and pools.
void windowAttrs(NodeContext &ctx, NodeBuilder &node, const std::vector<int64_t> &pads) {
  node.attr("pads", Attribute(pads));
  if (auto strides = ctx.attrInts("strides"))
    node.attr("strides", Attribute(*strides));
  if (auto dilations = ctx.attrInts("dilations"))
    node.attr("dilations", Attribute(*dilations));
}

} // namespace

Value *emitConv(NodeContext &ctx, Value *x, Value *w, Value *bias) {
  if (!w->type().hasRank()) {
    (void)ctx.unsupported("weights of unknown rank");
    return nullptr;
  }
  std::vector<int64_t> kernel;
  for (int64_t i = 2; i < w->type().rank(); ++i) {
    if (!w->type().dim(i).isStatic()) {
      (void)ctx.unsupported("non-static kernel dims");
      return nullptr;
    }
    kernel.push_back(w->type().dim(i).size());
  }
  std::optional<std::vector<int64_t>> pads = windowPads(ctx, x, kernel);
  if (!pads)
    return nullptr;
  std::vector<Value *> operands = {x, w};
  if (bias)
    operands.push_back(bias);
  NodeBuilder node = ctx.create("conv", operands);
  windowAttrs(ctx, node, *pads);
  node.attr("group", ctx.attrInt("group", 1));
  return node.result();
}

namespace {

LogicalResult importConv(NodeContext &ctx) {
  Value *y = emitConv(ctx, ctx.input(0), ctx.input(1), ctx.input(2));
  if (!y)
    return failure();
  ctx.setOutputs({y});
  return success();
}

LogicalResult importConvTranspose(NodeContext &ctx) {
  Value *x = ctx.input(0), *w = ctx.input(1);
  const TensorType &wt = w->type(), &xt = x->type();
  if (!wt.hasRank() || !xt.hasRank())
    return ctx.unsupported("operands of unknown rank");
  if (wt.rank() < 3 || xt.rank() != wt.rank())
    return ctx.error("needs input and weights of one rank, at least 3; got " + xt.str() +
                     " and " + wt.str());
  size_t spatial = wt.rank() - 2;
  std::vector<int64_t> kernel;
  for (size_t i = 0; i < spatial; ++i) {
    if (!wt.dim(2 + i).isStatic())
      return ctx.unsupported("non-static kernel dims");
    kernel.push_back(wt.dim(2 + i).size());
  }
  std::optional<std::vector<int64_t>> strides = windowInts(ctx, "strides", spatial, 1, 1),
                                      dilations = windowInts(ctx, "dilations", spatial, 1, 1),
                                      outputPadding =
                                          windowInts(ctx, "output_padding", spatial, 0, 0),
                                      pads = windowInts(ctx, "pads", 2 * spatial, 0, 0);
  if (!strides || !dilations || !outputPadding || !pads)
    return failure();
  std::string autoPad = ctx.attrString("auto_pad", "NOTSET");
  std::optional<std::vector<int64_t>> outputShape = ctx.attrInts("output_shape");
  if (outputShape && outputShape->size() < spatial)
    return ctx.error("output_shape has " + std::to_string(outputShape->size()) +
                     " values for " + std::to_string(spatial) + " spatial dims");
  if (outputShape || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Pads follow from the requested output size (ONNX's formula).
    for (size_t i = 0; i < spatial; ++i) {
      if (!xt.dim(2 + i).isStatic())
        return ctx.unsupported("output_shape/auto_pad need static input dims");
      int64_t in = xt.dim(2 + i).size(), stride = (*strides)[i];
      int64_t target = outputShape ? (*outputShape)[outputShape->size() - spatial + i]
                                   : in * stride;
      if (target < 0 || target > kMaxDimSize)
        return ctx.error("output_shape " + std::to_string(target) + " is out of range");
      int64_t total = stride * (in - 1) + (*outputPadding)[i] +
                      ((kernel[i] - 1) * (*dilations)[i] + 1) - target;
      if (total < 0) { // the output grows past the natural size
        (*outputPadding)[i] -= total;
        total = 0;
      }
      bool upper = autoPad == "SAME_UPPER";
      (*pads)[i] = upper ? total / 2 : total - total / 2;
      (*pads)[i + spatial] = total - (*pads)[i];
    }
  } else if (autoPad == "VALID") {
    pads->assign(2 * spatial, 0);
  }
  std::vector<Value *> operands = {x, w};
  if (Value *bias = ctx.input(2))
    operands.push_back(bias);
  ctx.setOutputs({ctx.create("conv_transpose", operands)
                      .attr("strides", Attribute(*strides))
                      .attr("dilations", Attribute(*dilations))
                      .attr("pads", Attribute(*pads))
                      .attr("output_padding", Attribute(*outputPadding))
                      .attr("group", ctx.attrInt("group", 1))
                      .result()});
  return success();
}

// hardmax(x) = one-hot of argmax along axis (the first maximum); before
// opset 13 on the input coerced to 2-D at axis.
LogicalResult importHardmax(NodeContext &ctx) {
  Value *x = ctx.input(0);
  std::optional<int64_t> axisOr = ctx.axisOf(x, "axis", ctx.opset() >= 13 ? -1 : 1);
  if (!axisOr)
    return failure();
  int64_t rank = x->type().rank(), axis = *axisOr;
  Value *input = x, *shape = nullptr;
  if (ctx.opset() < 13 && axis != rank - 1) {
    shape = ctx.op("shape", {x});
    input = ctx.create("flatten", {x}).attr("axis", axis).result();
    axis = 1;
    rank = 2;
  }
  if (!input)
    return failure();
  Value *best = ctx.create("argmax", {input}).attr("axis", axis).attr("keepdims", int64_t(1)).result();
  Value *dims = ctx.op("shape", {input});
  Tensor at(TensorType(DType::I64, {}));
  at.setInt(0, axis);
  Value *count = dims ? ctx.op("gather", {dims, ctx.constant(std::move(at))}) : nullptr;
  Value *iota = count ? ctx.op("range", {ctx.scalar(DType::I64, 0), count, ctx.scalar(DType::I64, 1)}) : nullptr;
  std::vector<int64_t> column = {-1};
  column.resize(rank - axis, 1);
  Value *positions = iota ? ctx.op("reshape", {iota, ctx.i64s(column)}) : nullptr;
  Value *hot = best && positions ? ctx.op("equal", {positions, best}) : nullptr;
  Value *y = hot ? ctx.create("cast", {hot}).attr("to", std::string(dtypeName(x->type().dtype()))).result() : nullptr;
  if (y && shape)
    y = ctx.op("reshape", {y, shape});
  ctx.setOutputs({y});
  return success();
}

// Resize (and Upsample, its older form): scales or sizes become operand 1;
// a constant roi becomes an attribute.
LogicalResult importResize(NodeContext &ctx) {
  Value *x = ctx.input(0), *target = nullptr;
  std::string mode = ctx.attrString("mode", "nearest");
  if (ctx.opType() == "Upsample" || ctx.opset() < 11) {
    if (std::optional<std::vector<double>> scales = ctx.attrFloats("scales")) {
      Tensor t(TensorType(DType::F32, {static_cast<int64_t>(scales->size())}));
      for (size_t i = 0; i < scales->size(); ++i)
        t.setDouble(i, (*scales)[i]);
      target = ctx.constant(std::move(t));
    } else if (!(target = ctx.input(1))) {
      return ctx.error("needs scales (an attribute before opset 9, an input after)");
    }
    NodeBuilder legacy = ctx.create("resize", {x, target});
    legacy.attr("mode", mode == "bilinear" ? std::string("linear") : mode);
    legacy.attr("coordinate_transformation_mode", "asymmetric");
    legacy.attr("nearest_mode", "floor");
    ctx.setOutputs({legacy.result()});
    return success();
  }
  target = ctx.input(3) ? ctx.input(3) : ctx.input(2);
  if (!target)
    return ctx.error("needs scales or sizes");
  std::vector<Value *> operands = {x, target};
  Value *roi = ctx.input(1);
  if (roi && roi->type().hasRank() &&
      !(roi->type().rank() == 1 && roi->type().dim(0) == Dim(0)))
    operands.push_back(roi);
  NodeBuilder resize = ctx.create("resize", operands);
  resize.attr("mode", mode);
  for (const char *name : {"coordinate_transformation_mode", "nearest_mode"})
    if (ctx.hasAttr(name))
      resize.attr(name, ctx.attrString(name, ""));
  resize.attr("cubic_coeff_a", ctx.attrFloat("cubic_coeff_a", -0.75));
  resize.attr("exclude_outside", ctx.attrInt("exclude_outside", 0));
  resize.attr("extrapolation_value", ctx.attrFloat("extrapolation_value", 0.0));
  ctx.setOutputs({resize.result()});
  return success();
}

/// Zeros of shape [a, b, c] where each entry is a constant or the size of
/// dim `d` of `x` (given as -1 - d).
Value *zerosLike(NodeContext &ctx, DType dtype, Value *x, std::vector<int64_t> dims) {
  std::vector<Value *> parts;
  Value *shape = ctx.op("shape", {x});
  for (int64_t d : dims) {
    if (d >= 0)
      parts.push_back(ctx.i64s({d}));
    else
      parts.push_back(shape ? ctx.op("slice", {shape, ctx.i64s({-1 - d}), ctx.i64s({-d})}) : nullptr);
  }
  for (Value *p : parts)
    if (!p)
      return nullptr;
  Value *target = ctx.create("concat", parts).attr("axis", int64_t(0)).result();
  return target ? ctx.op("expand", {ctx.scalar(dtype, 0), target}) : nullptr;
}

// RNN, GRU, LSTM: optional inputs become explicit operands (zeros, full
// lengths); layout 1 (batch first) is transposed in and out.
LogicalResult importRecurrent(NodeContext &ctx) {
  if (std::optional<std::vector<double>> alpha = ctx.attrFloats("activation_alpha"))
    return ctx.unsupported("custom activation parameters");
  if (const onnx::AttributeProto *acts = ctx.attr("activations")) {
    std::vector<std::string> defaults =
        ctx.opType() == "RNN" ? std::vector<std::string>{"Tanh"}
        : ctx.opType() == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
    for (int i = 0; i < acts->strings_size(); ++i)
      if (acts->strings(i) != defaults[i % defaults.size()])
        return ctx.unsupported("activation " + acts->strings(i));
  }
  std::string op = ctx.opType() == "LSTM" ? "lstm" : ctx.opType() == "GRU" ? "gru" : "rnn";
  int64_t gates = op == "lstm" ? 4 : op == "gru" ? 3 : 1;
  bool batchFirst = ctx.attrInt("layout", 0);
  Value *x = ctx.input(0), *w = ctx.input(1), *r = ctx.input(2);
  if (batchFirst)
    x = ctx.create("transpose", {x}).attr("perm", {1, 0, 2}).result();
  const TensorType &rt = r->type();
  if (!x || !rt.hasRank() || rt.rank() != 3 || !rt.dim(0).isStatic() || !rt.dim(2).isStatic())
    return ctx.unsupported("R must have static dims");
  int64_t dirs = rt.dim(0).size(), hidden = rt.dim(2).size();
  DType dtype = x->type().dtype();
  Value *b = ctx.input(3) ? ctx.input(3) : zerosLike(ctx, dtype, x, {dirs, 2 * gates * hidden});
  Value *lens = ctx.input(4);
  if (!lens) { // every sequence runs the full length
    Value *shape = ctx.op("shape", {x});
    Value *seq = shape ? ctx.op("slice", {shape, ctx.i64s({0}), ctx.i64s({1})}) : nullptr;
    Value *batch = shape ? ctx.op("slice", {shape, ctx.i64s({1}), ctx.i64s({2})}) : nullptr;
    Value *flat = seq ? ctx.op("reshape", {seq, ctx.i64s({})}) : nullptr;
    lens = flat && batch ? ctx.op("expand", {flat, batch}) : nullptr;
  }
  auto state = [&](size_t index) {
    Value *given = ctx.input(index);
    if (given && batchFirst)
      given = ctx.create("transpose", {given}).attr("perm", {1, 0, 2}).result();
    return given ? given : zerosLike(ctx, dtype, x, {dirs, -2, hidden});
  };
  std::vector<Value *> operands = {x, w, r, b, lens, state(5)};
  if (op == "lstm") {
    operands.push_back(state(6));
    operands.push_back(ctx.input(7) ? ctx.input(7) : zerosLike(ctx, dtype, x, {dirs, 3 * hidden}));
  }
  for (Value *operand : operands)
    if (!operand)
      return failure();
  NodeBuilder node = ctx.create(op, operands);
  node.attr("direction", ctx.attrString("direction", "forward"));
  if (ctx.hasAttr("clip"))
    node.attr("clip", ctx.attrFloat("clip", 0.0));
  node.attr("hidden_size", hidden);
  if (op == "gru")
    node.attr("linear_before_reset", ctx.attrInt("linear_before_reset", 0));
  if (op == "lstm")
    node.attr("input_forget", ctx.attrInt("input_forget", 0));
  std::vector<Value *> results = node.results();
  if (results.empty())
    return failure();
  if (batchFirst) {
    results[0] = ctx.create("transpose", {results[0]}).attr("perm", {2, 0, 1, 3}).result();
    for (size_t i = 1; i < results.size(); ++i)
      results[i] = ctx.create("transpose", {results[i]}).attr("perm", {1, 0, 2}).result();
  }
  ctx.setOutputs(results);
  return success();
}

LogicalResult importMaxUnpool(NodeContext &ctx) {
  std::vector<Value *> operands = {ctx.input(0), ctx.input(1)};
  if (Value *shape = ctx.input(2))
    operands.push_back(shape);
  NodeBuilder node = ctx.create("max_unpool", operands);
  node.attr("kernel_shape", Attribute(ctx.attrInts("kernel_shape").value_or(std::vector<int64_t>{})));
  if (auto strides = ctx.attrInts("strides"))
    node.attr("strides", Attribute(*strides));
  if (auto pads = ctx.attrInts("pads"))
    node.attr("pads", Attribute(*pads));
  ctx.setOutputs({node.result()});
  return success();
}

LogicalResult importPool(NodeContext &ctx) {
  std::vector<int64_t> kernel = ctx.attrInts("kernel_shape").value_or(std::vector<int64_t>{});
  std::optional<std::vector<int64_t>> pads = windowPads(ctx, ctx.input(0), kernel);
  if (!pads)
    return failure();
  bool isMax = ctx.opType() == "MaxPool";
  NodeBuilder node = ctx.create(isMax ? "max_pool" : "avg_pool", {ctx.input(0)});
  node.attr("kernel_shape", Attribute(kernel));
  windowAttrs(ctx, node, *pads);
  node.attr("ceil_mode", ctx.attrInt("ceil_mode", 0));
  if (!isMax)
    node.attr("count_include_pad", ctx.attrInt("count_include_pad", 0));
  if (isMax && ctx.wantsOutput(1)) {
    node.attr("with_indices", int64_t(1));
    node.attr("storage_order", ctx.attrInt("storage_order", 0));
  }
  ctx.setOutputs(node.results());
  return success();
}

LogicalResult importGlobalPool(NodeContext &ctx) {
  ctx.setOutputs({ctx.op(ctx.opType() == "GlobalMaxPool" ? "global_max_pool"
                                                          : "global_avg_pool",
                         {ctx.input(0)})});
  return success();
}

// Training mode normalizes with the batch statistics and updates the
// running ones: running = input * momentum + batch * (1 - momentum).
LogicalResult importBatchNormTraining(NodeContext &ctx) {
  Value *x = ctx.input(0);
  if (!x->type().hasRank() || x->type().rank() < 2)
    return ctx.unsupported("training mode needs an input of known rank >= 2");
  int64_t rank = x->type().rank();
  DType dtype = x->type().dtype();
  std::vector<int64_t> reduced = {0}, trailing;
  for (int64_t d = 2; d < rank; ++d) {
    reduced.push_back(d);
    trailing.push_back(d - 1);
  }
  auto perChannel = [&](Value *v) { // [C] -> [C, 1, ..., 1]
    return trailing.empty() || !v ? v
                                  : ctx.create("unsqueeze", {v}).attr("axes", Attribute(trailing)).result();
  };
  Value *mean = ctx.create("reduce_mean", {x}).attr("axes", Attribute(reduced)).attr("keepdims", int64_t(0)).result();
  Value *centered = mean ? ctx.op("sub", {x, perChannel(mean)}) : nullptr;
  Value *squared = centered ? ctx.op("mul", {centered, centered}) : nullptr;
  Value *var = squared ? ctx.create("reduce_mean", {squared}).attr("axes", Attribute(reduced)).attr("keepdims", int64_t(0)).result() : nullptr;
  Value *denominator = var ? ctx.op("sqrt", {ctx.op("add", {var, ctx.scalar(dtype, ctx.attrFloat("epsilon", 1e-5))})}) : nullptr;
  Value *normalized = denominator ? ctx.op("div", {centered, perChannel(denominator)}) : nullptr;
  Value *scaled = normalized ? ctx.op("mul", {normalized, perChannel(ctx.input(1))}) : nullptr;
  Value *y = scaled ? ctx.op("add", {scaled, perChannel(ctx.input(2))}) : nullptr;
  double momentum = ctx.attrFloat("momentum", 0.9);
  auto running = [&](Value *old, Value *batch) -> Value * {
    Value *kept = ctx.op("mul", {old, ctx.scalar(dtype, momentum)});
    Value *fresh = batch ? ctx.op("mul", {batch, ctx.scalar(dtype, 1 - momentum)}) : nullptr;
    return kept && fresh ? ctx.op("add", {kept, fresh}) : nullptr;
  };
  ctx.setOutputs({y, running(ctx.input(3), mean), running(ctx.input(4), var)});
  return success();
}

LogicalResult importBatchNorm(NodeContext &ctx) {
  if (ctx.attrInt("training_mode", 0) && ctx.opset() >= 14)
    return importBatchNormTraining(ctx);
  if (ctx.wantsOutput(1))
    return ctx.unsupported("training outputs of opsets before 14");
  ctx.setOutputs({ctx.create("batch_norm", {ctx.input(0), ctx.input(1), ctx.input(2),
                                            ctx.input(3), ctx.input(4)})
                      .attr("epsilon", ctx.attrFloat("epsilon", 1e-5))
                      .result()});
  return success();
}

LogicalResult importInstanceNorm(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("instance_norm", {ctx.input(0), ctx.input(1), ctx.input(2)})
                      .attr("epsilon", ctx.attrFloat("epsilon", 1e-5))
                      .result()});
  return success();
}

LogicalResult importLayerNorm(NodeContext &ctx) {
  if (ctx.wantsOutput(1) || ctx.wantsOutput(2))
    return ctx.graph().expandFunction(ctx); // mean and inverse std as well
  std::vector<Value *> operands = {ctx.input(0), ctx.input(1)};
  if (Value *bias = ctx.input(2))
    operands.push_back(bias);
  ctx.setOutputs({ctx.create("layer_norm", operands)
                      .attr("axis", ctx.attrInt("axis", -1))
                      .attr("epsilon", ctx.attrFloat("epsilon", 1e-5))
                      .result()});
  return success();
}

// Before opset 13, softmax coerces its input to 2-D at `axis` (default 1).
LogicalResult importSoftmax(NodeContext &ctx) {
  std::string op = ctx.opType() == "Softmax" ? "softmax" : "log_softmax";
  Value *x = ctx.input(0);
  if (ctx.opset() >= 13) {
    ctx.setOutputs({ctx.create(op, {x}).attr("axis", ctx.attrInt("axis", -1)).result()});
    return success();
  }
  std::optional<int64_t> axisOr = ctx.axisOf(x, "axis", 1);
  if (!axisOr)
    return failure();
  int64_t rank = x->type().rank(), axis = *axisOr;
  if (axis == rank - 1) {
    ctx.setOutputs({ctx.create(op, {x}).attr("axis", int64_t(-1)).result()});
    return success();
  }
  Value *shape = ctx.op("shape", {x});
  Value *flat = ctx.create("flatten", {x}).attr("axis", axis).result();
  Value *y = flat ? ctx.create(op, {flat}).attr("axis", int64_t(1)).result() : nullptr;
  ctx.setOutputs({y && shape ? ctx.op("reshape", {y, shape}) : nullptr});
  return success();
}

} // namespace

void registerNNImporters(ImporterTable &table) {
  table["MatMul"] = importMatMul;
  table["Gemm"] = importGemm;
  table["Einsum"] = importEinsum;
  table["Det"] = importDet;
  table["DFT"] = importDft;
  table["RoiAlign"] = importRoiAlign;
  table["STFT"] = importStft;
  table["GridSample"] = importGridSample;
  table["MaxUnpool"] = importMaxUnpool;
  table["LRN"] = importLrn;
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["Hardmax"] = importHardmax;
  table["Resize"] = importResize;
  for (const char *name : {"RNN", "GRU", "LSTM"})
    table[name] = importRecurrent;
  table["Upsample"] = importResize;
  table["MaxPool"] = importPool;
  table["AveragePool"] = importPool;
  table["GlobalMaxPool"] = importGlobalPool;
  table["GlobalAveragePool"] = importGlobalPool;
  table["BatchNormalization"] = importBatchNorm;
  table["InstanceNormalization"] = importInstanceNorm;
  table["LayerNormalization"] = importLayerNorm;
  table["Softmax"] = importSoftmax;
  table["LogSoftmax"] = importSoftmax;
}

} // namespace dlc::onnximport
