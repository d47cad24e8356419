//===- Conv.cpp - Convolution and pooling --------------------------------===//
//
// Layout NC<spatial...>; weights O, I/group, <kernel...>. Padding is explicit
// (`pads` = begins then ends, as in ONNX); frontends resolve auto_pad.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

namespace dlc {
namespace {

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
  bool ceilMode = ctx.intAttr("ceil_mode", 0);
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
      dims.push_back(Dim::unknown());
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

LogicalResult inferConv(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kFloatTypes)))
    return failure();
  DType dtype = ctx.operandType(0).dtype();
  if (!ctx.operandsRanked()) {
    ctx.addResult(TensorType::unranked(dtype));
    return success();
  }
  const TensorType &x = ctx.operandType(0), &w = ctx.operandType(1);
  if (x.rank() < 3 || w.rank() != x.rank())
    return ctx.error("expects input N,C,spatial... and weights of the same "
                     "rank, got " + x.str() + " and " + w.str());
  int64_t group = ctx.intAttr("group", 1);
  if (group < 1)
    return ctx.error("group must be positive");
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
LogicalResult poolInput(InferContext &ctx, bool &done) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  done = !x.hasRank();
  if (done)
    ctx.addResult(x);
  else if (x.rank() < 3)
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
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
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

} // namespace

void registerConvOps(OpRegistry &registry) {
  registry.add({"conv", "conv", 2, 3,
                {{"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"group", AttrKind::Int},
                 {"kernel_shape", AttrKind::Ints}},
                inferConv});
  registry.add({"max_pool", "conv", 1, 1,
                {{"kernel_shape", AttrKind::Ints, true},
                 {"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"ceil_mode", AttrKind::Int}},
                inferPool});
  registry.add({"avg_pool", "conv", 1, 1,
                {{"kernel_shape", AttrKind::Ints, true},
                 {"strides", AttrKind::Ints},
                 {"pads", AttrKind::Ints},
                 {"dilations", AttrKind::Ints},
                 {"ceil_mode", AttrKind::Int},
                 {"count_include_pad", AttrKind::Int}},
                inferPool});
  registry.add({"global_avg_pool", "conv", 1, 1, {}, inferGlobalPool});
  registry.add({"global_max_pool", "conv", 1, 1, {}, inferGlobalPool});
}

} // namespace dlc
