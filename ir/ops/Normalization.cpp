//===- Normalization.cpp - batch, layer and instance normalization -------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "kernels/Normalization.h"
#include "ops/OpParams.h"

#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

/// Operands 1.. are per-channel vectors matching x's dim 1.
LogicalResult inferChannelNorm(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (x.hasRank()) {
    if (x.rank() < 2)
      return ctx.error("expects input N,C,..., got " + x.str());
    for (size_t i = 1; i < ctx.numOperands(); ++i) {
      const TensorType &p = ctx.operandType(i);
      if (p.hasRank() && (p.rank() != 1 || !p.dim(0).compatibleWith(x.dim(1))))
        return ctx.error("operand " + std::to_string(i) +
                         " must be 1-D with one value per channel of " +
                         x.str() + ", got " + p.str());
    }
  }
  ctx.addResult(x);
  return success();
}

// layer_norm(x, scale, [bias]) normalizes over dims [axis, rank); scale and
// bias broadcast to those dims.
LogicalResult inferLayerNorm(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (x.hasRank()) {
    int64_t axis;
    if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis)))
      return failure();
    std::vector<Dim> normalized(x.dims().begin() + axis, x.dims().end());
    for (size_t i = 1; i < ctx.numOperands(); ++i) {
      const TensorType &p = ctx.operandType(i);
      if (!p.hasRank())
        continue;
      std::optional<std::vector<Dim>> dims = broadcastDims(normalized, p.dims());
      if (!dims || dims->size() != normalized.size())
        return ctx.error("operand " + std::to_string(i) + " " + p.str() +
                         " does not broadcast to the normalized dims of " +
                         x.str());
    }
  }
  ctx.addResult(x);
  return success();
}

// lrn(x): x / (bias + alpha / size * sum of x^2 over `size` neighbouring
// channels) ^ beta.
LogicalResult inferLrn(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (x.hasRank() && x.rank() < 3)
    return ctx.error("expects input N,C,spatial..., got " + x.str());
  if (ctx.intAttr("size") < 1)
    return ctx.error("size must be positive");
  ctx.addResult(x);
  return success();
}

} // namespace

void registerNormalizationOps(OpRegistry &registry) {
  using dlrt::ops::LoweredOp;
  registry.add({"batch_norm", "normalization", 5, 5,
                {{"epsilon", AttrKind::Float, false, 1e-5}}, inferChannelNorm,
                [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "batch_norm", dlrt::ops::EpsilonParams{c.floatAttr("epsilon")});
                }});
  registry.add({"instance_norm", "normalization", 3, 3,
                {{"epsilon", AttrKind::Float, false, 1e-5}}, inferChannelNorm,
                [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "instance_norm",
                                 dlrt::ops::EpsilonParams{c.floatAttr("epsilon")});
                }});
  registry.add({"layer_norm", "normalization", 2, 3,
                {{"axis", AttrKind::Int, false, -1}, {"epsilon", AttrKind::Float, false, 1e-5}},
                inferLayerNorm, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "layer_norm",
                                 dlrt::ops::LayerNormParams{c.intAttr("axis"),
                                                            c.floatAttr("epsilon")});
                }});
  registry.add({"lrn", "normalization", 1, 1,
                {{"size", AttrKind::Int, true},
                 {"alpha", AttrKind::Float, false, 1e-4},
                 {"beta", AttrKind::Float, false, 0.75},
                 {"bias", AttrKind::Float, false, 1.0}},
                inferLrn, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "lrn",
                                 dlrt::kernels::LrnParams{c.intAttr("size"), c.floatAttr("alpha"),
                                                          c.floatAttr("beta"),
                                                          c.floatAttr("bias")});
                }});
}

} // namespace dlc
