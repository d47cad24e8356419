//===- Normalization.cpp - batch, layer and instance normalization -------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

namespace dlc {
namespace {

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
    if (failed(ctx.normalizeAxis(ctx.intAttr("axis", -1), x.rank(), axis)))
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

} // namespace

void registerNormalizationOps(OpRegistry &registry) {
  registry.add({"batch_norm", "normalization", 5, 5,
                {{"epsilon", AttrKind::Float}}, inferChannelNorm});
  registry.add({"instance_norm", "normalization", 3, 3,
                {{"epsilon", AttrKind::Float}}, inferChannelNorm});
  registry.add({"layer_norm", "normalization", 2, 3,
                {{"axis", AttrKind::Int}, {"epsilon", AttrKind::Float}},
                inferLayerNorm});
}

} // namespace dlc
