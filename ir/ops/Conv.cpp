//===- Conv.cpp - Convolution and pooling --------------------------------===//
//
// Layout NC<spatial...>; weights O, I/group, <kernel...>. Padding is explicit
// (`pads` = begins then ends, as in ONNX); frontends resolve auto_pad.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "kernels/Conv.h"

#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

/// Reads a per-spatial-dim attribute, defaulting each entry to `fallback`.
LogicalResult spatialAttr(InferContext &ctx, std::string_view name,
                          size_t count, int64_t fallback,
                          std::vector<int64_t> &out) {
  const std::vector<int64_t> *values = ctx.intsAttr(name);
  if (!values) {
    out.assign(count, fallback);
    return success();
  }
  if (values->size() != count)
    return ctx.error("attribute '" + std::string(name) + "' needs " +
                     std::to_string(count) + " values, got " +
                     std::to_string(values->size()));
  out = *values;
  return success();
}

/// Output spatial dims of a sliding window over x's spatial dims.
LogicalResult windowDims(InferContext &ctx, const TensorType &x,
                         const std::vector<int64_t> &kernel,
                         std::vector<Dim> &dims) {
  size_t spatial = kernel.size();
  std::vector<int64_t> strides, dilations, pads;
  if (failed(spatialAttr(ctx, "strides", spatial, 1, strides)) ||
      failed(spatialAttr(ctx, "dilations", spatial, 1, dilations)) ||
      failed(spatialAttr(ctx, "pads", 2 * spatial, 0, pads)))
    return failure();
  // Convolutions share this with pools but have no ceil_mode.
  bool ceilMode = ctx.node().def().attrSpec("ceil_mode") && ctx.intAttr("ceil_mode");
  for (size_t i = 0; i < spatial; ++i) {
    auto inRange = [](int64_t v, int64_t lo) {
      return v >= lo && v <= kMaxDimSize;
    };
    if (!inRange(strides[i], 1) || !inRange(dilations[i], 1) ||
        !inRange(pads[i], 0) || !inRange(pads[i + spatial], 0) ||
        !inRange(kernel[i], 1))
      return ctx.error("strides, dilations and kernel must be positive and "
                       "pads non-negative (and all at most 2^40)");
    const Dim &in = x.dim(2 + i);
    if (!in.isStatic()) {
      // (in + pads - dilation*(kernel-1) - 1) / stride + 1, symbolically.
      SymExpr span = in.expr() + SymExpr(pads[i] + pads[i + spatial]) -
                     SymExpr(dilations[i]) * SymExpr(kernel[i] - 1) - SymExpr(1);
      SymExpr stride(strides[i]);
      dims.push_back(Dim::fromExpr(
          (ceilMode ? SymExpr::ceilDiv(span, stride) : SymExpr::floorDiv(span, stride)) +
          SymExpr(1)));
      continue;
    }
    // 128-bit: each term is at most 2^40, the product at most 2^80.
    __int128 span = __int128(in.size()) + pads[i] + pads[i + spatial] -
                    __int128(dilations[i]) * (kernel[i] - 1) - 1;
    if (span < 0)
      return ctx.error("window of size " + std::to_string(kernel[i]) +
                       " does not fit spatial dim " + std::to_string(i) +
                       " of " + x.str());
    __int128 out = (ceilMode ? (span + strides[i] - 1) / strides[i]
                             : span / strides[i]) + 1;
    if (out > kMaxDimSize)
      return ctx.error("output dim is too large");
    dims.push_back(Dim(static_cast<int64_t>(out)));
  }
  return success();
}

/// The checks conv and conv_transpose share: float operands of one dtype,
/// input N,C,spatial... and weights of its rank, a positive group. Sets
/// `done` when the result is already decided (an operand of unknown rank).
LogicalResult convOperands(InferContext &ctx, bool &done) {
  if (failed(ctx.expectUniformDType(kFloatTypes)))
    return failure();
  done = !ctx.operandsRanked();
  if (done) {
    ctx.addResult(TensorType::unranked(ctx.operandType(0).dtype()));
    return success();
  }
  const TensorType &x = ctx.operandType(0), &w = ctx.operandType(1);
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.error("expects input N,C,spatial... and weights of the same "
                     "rank, got " + x.str() + " and " + w.str());
  if (ctx.intAttr("group") < 1)
    return ctx.error("group must be positive");
  return success();
}

LogicalResult inferConv(InferContext &ctx) {
  // An input of unknown rank (exporters leave them so inside nested graphs)
  // still gives a result of the weights' rank with their output channels.
  if (failed(ctx.expectUniformDType(kFloatTypes)))
    return failure();
  const TensorType &input = ctx.operandType(0), &weights = ctx.operandType(1);
  if (!input.hasRank() && weights.hasRank() && weights.rank() >= 3) {
    std::vector<Dim> dims(weights.rank());
    dims[1] = weights.dim(0);
    ctx.addResult(TensorType(input.dtype(), std::move(dims)));
    return success();
  }
  bool done = false;
  if (failed(convOperands(ctx, done)))
    return failure();
  if (done)
    return success();
  DType dtype = ctx.operandType(0).dtype();
  const TensorType &x = ctx.operandType(0), &w = ctx.operandType(1);
  int64_t group = ctx.intAttr("group");
  if (x.dim(1).isStatic() && w.dim(1).isStatic() &&
      x.dim(1).size() != w.dim(1).size() * group)
    return ctx.error("input channels " + x.dim(1).str() + " != weight channels " +
                     w.dim(1).str() + " * group " + std::to_string(group));
  if (w.dim(0).isStatic() && w.dim(0).size() % group != 0)
    return ctx.error("output channels must be divisible by group");
  std::vector<int64_t> kernel;
  for (int64_t i = 2; i < w.rank(); ++i) {
    if (!w.dim(i).isStatic())
      return ctx.error("kernel dims must be static, got " + w.str());
    kernel.push_back(w.dim(i).size());
  }
  if (const std::vector<int64_t> *declared = ctx.intsAttr("kernel_shape"))
    if (*declared != kernel)
      return ctx.error("attribute 'kernel_shape' disagrees with weights " +
                       w.str());
  if (ctx.numOperands() == 3) {
    const TensorType &b = ctx.operandType(2);
    if (b.rank() != 1 || !b.dim(0).compatibleWith(w.dim(0)))
      return ctx.error("bias must be 1-D with one value per output channel, "
                       "got " + b.str());
  }
  std::vector<Dim> dims = {x.dim(0), w.dim(0)};
  if (failed(windowDims(ctx, x, kernel, dims)))
    return failure();
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

/// Pools take one float N,C,spatial... input. Sets `done` when the result
/// is already decided (unranked input).
bool withIndices(const InferContext &ctx) {
  return ctx.node().def().attrSpec("with_indices") && ctx.intAttr("with_indices");
}

LogicalResult poolInput(InferContext &ctx, bool &done) {
  bool isMax = ctx.node().is(OpId::MaxPool) ||
               ctx.node().is(OpId::GlobalMaxPool);
  if (failed(ctx.expectDType(0, isMax ? kNumericTypes : kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  done = !x.hasRank();
  if (done) {
    ctx.addResult(x);
    if (withIndices(ctx))
      ctx.addResult(TensorType::unranked(DType::I64));
  } else if (x.rank() < 3)
    return ctx.error("expects input N,C,spatial..., got " + x.str());
  return success();
}

LogicalResult inferPool(InferContext &ctx) {
  bool done;
  if (failed(poolInput(ctx, done)))
    return failure();
  if (done)
    return success();
  const TensorType &x = ctx.operandType(0);
  const std::vector<int64_t> &kernel = *ctx.intsAttr("kernel_shape");
  if (static_cast<int64_t>(kernel.size()) != x.rank() - 2)
    return ctx.error("attribute 'kernel_shape' needs " +
                     std::to_string(x.rank() - 2) + " values");
  std::vector<Dim> dims = {x.dim(0), x.dim(1)};
  if (failed(windowDims(ctx, x, kernel, dims)))
    return failure();
  ctx.addResult(TensorType(x.dtype(), dims));
  if (withIndices(ctx)) // where each maximum came from
    ctx.addResult(TensorType(DType::I64, std::move(dims)));
  return success();
}

LogicalResult inferGlobalPool(InferContext &ctx) {
  bool done;
  if (failed(poolInput(ctx, done)))
    return failure();
  if (done)
    return success();
  const TensorType &x = ctx.operandType(0);
  std::vector<Dim> dims = {x.dim(0), x.dim(1)};
  dims.resize(x.rank(), Dim(1));
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

// conv_transpose(x, w, [b]): the gradient of conv with respect to its input.
// Weights are C_in, C_out/group, kernel...; each output spatial dim is
// stride * (in - 1) + output_padding + dilation * (k - 1) + 1 - pads.
LogicalResult inferConvTranspose(InferContext &ctx) {
  bool done = false;
  if (failed(convOperands(ctx, done)))
    return failure();
  if (done)
    return success();
  DType dtype = ctx.operandType(0).dtype();
  const TensorType &x = ctx.operandType(0), &w = ctx.operandType(1);
  int64_t group = ctx.intAttr("group");
  size_t spatial = x.rank() - 2;
  std::vector<int64_t> strides, dilations, pads, outputPadding;
  if (failed(spatialAttr(ctx, "strides", spatial, 1, strides)) ||
      failed(spatialAttr(ctx, "dilations", spatial, 1, dilations)) ||
      failed(spatialAttr(ctx, "pads", 2 * spatial, 0, pads)) ||
      failed(spatialAttr(ctx, "output_padding", spatial, 0, outputPadding)))
    return failure();
  Dim channels = group <= kMaxDimSize ? w.dim(1) * Dim(group) : Dim::unknown();
  std::vector<Dim> dims = {x.dim(0), channels};
  for (size_t i = 0; i < spatial; ++i) {
    const Dim &in = x.dim(2 + i), &k = w.dim(2 + i);
    for (int64_t v : {strides[i], dilations[i], pads[i], pads[i + spatial], outputPadding[i]})
      if (v < 0 || v > kMaxDimSize)
        return ctx.error("strides, dilations, pads and output_padding must be "
                         "in [0, 2^40]");
    if (!in.isStatic() || !k.isStatic()) {
      // stride*(in-1) + output_padding + dilation*(k-1) + 1 - pads.
      dims.push_back(Dim::fromExpr(
          SymExpr(strides[i]) * (in.expr() - SymExpr(1)) +
          SymExpr(outputPadding[i]) + SymExpr(dilations[i]) * (k.expr() - SymExpr(1)) +
          SymExpr(1) - SymExpr(pads[i] + pads[i + spatial])));
      continue;
    }
    __int128 out = __int128(strides[i]) * (in.size() - 1) + outputPadding[i] +
                   __int128(dilations[i]) * (k.size() - 1) + 1 - pads[i] -
                   pads[i + spatial];
    if (out < 0 || out > kMaxDimSize)
      return ctx.error("output dim " + std::to_string(i) + " is out of range");
    dims.push_back(Dim(static_cast<int64_t>(out)));
  }
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

// max_unpool(x, indices, [output_shape]): zeros, with each x value written
// at its flat index (the inverse of max_pool with_indices).
LogicalResult inferMaxUnpool(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (ctx.numOperands() == 3) {
    std::optional<std::vector<int64_t>> shape = ctx.constantInts(2);
    std::vector<Dim> dims;
    if (shape)
      for (int64_t d : *shape) {
        if (d < 0 || d > kMaxDimSize)
          return ctx.error("output_shape value out of range");
        dims.push_back(Dim(d));
      }
    ctx.addResult(shape ? TensorType(x.dtype(), dims) : TensorType::unranked(x.dtype()));
    return success();
  }
  if (!x.hasRank() || x.rank() < 3) {
    ctx.addResult(TensorType::unranked(x.dtype()));
    return success();
  }
  const std::vector<int64_t> &kernel = *ctx.intsAttr("kernel_shape");
  size_t spatial = x.rank() - 2;
  std::vector<int64_t> strides, pads;
  if (kernel.size() != spatial)
    return ctx.error("kernel_shape needs " + std::to_string(spatial) + " values");
  if (failed(spatialAttr(ctx, "strides", spatial, 1, strides)) ||
      failed(spatialAttr(ctx, "pads", 2 * spatial, 0, pads)))
    return failure();
  std::vector<Dim> dims = {x.dim(0), x.dim(1)};
  for (size_t i = 0; i < spatial; ++i) {
    if (!x.dim(2 + i).isStatic()) {
      dims.push_back(Dim::unknown());
      continue;
    }
    __int128 size = __int128(x.dim(2 + i).size() - 1) * strides[i] + kernel[i] -
                    pads[i] - pads[i + spatial];
    if (size < 0 || size > kMaxDimSize)
      return ctx.error("output dim out of range");
    dims.push_back(Dim(static_cast<int64_t>(size)));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

using dlrt::ops::LoweredOp;

/// The window attributes as given (the runtime fills in defaults).
dlrt::ops::WindowParams windowParams(const InferContext &ctx) {
  dlrt::ops::WindowParams params;
  auto get = [&](std::string_view name) {
    const std::vector<int64_t> *values = ctx.intsAttr(name);
    return values ? *values : std::vector<int64_t>();
  };
  params.kernel = get("kernel_shape");
  params.strides = get("strides");
  params.dilations = get("dilations");
  params.pads = get("pads");
  params.outputPadding = get("output_padding");
  if (ctx.node().def().attrSpec("group"))
    params.group = ctx.intAttr("group");
  params.ceilMode = ctx.node().def().attrSpec("ceil_mode") && ctx.intAttr("ceil_mode");
  return params;
}

LogicalResult lowerWindow(const InferContext &ctx, LoweredOp &op, std::string_view entry) {
  return lowerTo(op, entry, windowParams(ctx));
}

LogicalResult lowerPool(const InferContext &ctx, LoweredOp &op, bool isMax) {
  dlrt::ops::WindowParams params = windowParams(ctx);
  params.isMax = isMax;
  params.countIncludePad = !isMax && ctx.intAttr("count_include_pad");
  params.columnMajorIndices = isMax && ctx.intAttr("storage_order");
  return lowerTo(op, "pool", params);
}

LogicalResult lowerGlobalPool(LoweredOp &op, bool isMax) {
  dlrt::ops::WindowParams params;
  params.isMax = isMax;
  return lowerTo(op, "global_pool", params);
}

} // namespace

void registerConvOps(OpRegistry &registry) {
  registry.add({"conv", "conv", 2, 3,
                {{"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"group", AttrKind::Int, false, 1},
                 {"kernel_shape", AttrKind::Ints}},
                inferConv,
                [](const InferContext &c, LoweredOp &o) { return lowerWindow(c, o, "conv"); }});
  registry.add({"conv_transpose", "conv", 2, 3,
                {{"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"group", AttrKind::Int, false, 1},
                 {"output_padding", AttrKind::Ints}},
                inferConvTranspose, [](const InferContext &c, LoweredOp &o) {
                  return lowerWindow(c, o, "conv_transpose");
                }});
  registry.add({"max_pool", "conv", 1, 1,
                {{"kernel_shape", AttrKind::Ints, true},
                 {"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"ceil_mode", AttrKind::Int, false, 0},
                 {"with_indices", AttrKind::Int, false, 0},
                 {"storage_order", AttrKind::Int, false, 0}},
                inferPool, [](const InferContext &c, LoweredOp &o) { return lowerPool(c, o, true); }});
  registry.add({"avg_pool", "conv", 1, 1,
                {{"kernel_shape", AttrKind::Ints, true},
                 {"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"ceil_mode", AttrKind::Int, false, 0},
                 {"count_include_pad", AttrKind::Int, false, 0}},
                inferPool, [](const InferContext &c, LoweredOp &o) { return lowerPool(c, o, false); }});
  registry.add({"max_unpool", "conv", 2, 3,
                {{"kernel_shape", AttrKind::Ints, true},
                 {"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints}},
                inferMaxUnpool, [](const InferContext &c, LoweredOp &o) {
                  return lowerWindow(c, o, "max_unpool");
                }});
  registry.add({"global_avg_pool", "conv", 1, 1, {}, inferGlobalPool,
                [](const InferContext &, LoweredOp &o) { return lowerGlobalPool(o, false); }});
  registry.add({"global_max_pool", "conv", 1, 1, {}, inferGlobalPool,
                [](const InferContext &, LoweredOp &o) { return lowerGlobalPool(o, true); }});
}

} // namespace dlc
