//===- Normalization.cpp - batch, layer and instance normalization -------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

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

// y = scale * (x - mean) / sqrt(var + epsilon) + bias, per channel (dim 1).
LogicalResult evalBatchNorm(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  double epsilon = ctx.floatAttr("epsilon");
  int64_t channels = shape[1];
  int64_t inner = channels ? x.numElements() / (shape[0] * channels) : 0;
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t c = (i / inner) % channels;
    double normalized = (x.getDouble(i) - ctx.input(3).getDouble(c)) /
                        std::sqrt(ctx.input(4).getDouble(c) + epsilon);
    out->setDouble(i, normalized * ctx.input(1).getDouble(c) +
                          ctx.input(2).getDouble(c));
  }
  return success();
}

/// Normalizes each of `groups` contiguous runs of `size` elements of x to
/// zero mean and unit variance; then applies scale[param(i)] and
/// bias[param(i)], where i is the element index.
template <typename ParamIndex>
void normalizeRuns(const Tensor &x, Tensor &out, int64_t groups, int64_t size,
                   double epsilon, const Tensor &scale, const Tensor *bias,
                   ParamIndex param) {
  for (int64_t g = 0; g < groups; ++g) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < size; ++i)
      mean += x.getDouble(g * size + i);
    mean /= size;
    for (int64_t i = 0; i < size; ++i) {
      double d = x.getDouble(g * size + i) - mean;
      var += d * d;
    }
    var /= size;
    double inv = 1 / std::sqrt(var + epsilon);
    for (int64_t i = 0; i < size; ++i) {
      int64_t at = g * size + i;
      double y = (x.getDouble(at) - mean) * inv * scale.getDouble(param(at));
      if (bias)
        y += bias->getDouble(param(at));
      out.setDouble(at, y);
    }
  }
}

LogicalResult evalInstanceNorm(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  int64_t planes = shape[0] * shape[1];
  int64_t size = planes ? x.numElements() / planes : 0;
  int64_t channels = shape[1];
  normalizeRuns(x, *out, planes, size, ctx.floatAttr("epsilon"),
                ctx.input(1), &ctx.input(2),
                [&](int64_t i) { return (i / size) % channels; });
  return success();
}

LogicalResult evalLayerNorm(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  int64_t axis = ctx.axisAttr("axis", shape.size());
  Shape normalized(shape.begin() + axis, shape.end());
  int64_t size = 1;
  for (int64_t d : normalized)
    size *= d;
  int64_t groups = size ? x.numElements() / size : 0;
  // Scale and bias broadcast to the normalized dims.
  Shape scaleStrides = broadcastStrides(shapeOf(ctx.input(1)), normalized);
  Shape biasStrides = ctx.numOperands() == 3
                          ? broadcastStrides(shapeOf(ctx.input(2)), normalized)
                          : Shape();
  Shape inner = stridesOf(normalized);
  auto paramOffset = [&](int64_t i, const Shape &strides) {
    int64_t r = i % size, offset = 0;
    for (size_t d = 0; d < normalized.size(); ++d) {
      offset += (r / inner[d]) * strides[d];
      r %= inner[d];
    }
    return offset;
  };
  // Scale and bias may broadcast differently; normalize with a unit scale,
  // then apply both.
  Tensor unit(TensorType(x.dtype(), {}));
  unit.setDouble(0, 1.0);
  normalizeRuns(x, *out, groups, size, ctx.floatAttr("epsilon"), unit,
                nullptr, [](int64_t) { return int64_t(0); });
  for (int64_t i = 0; i < x.numElements(); ++i) {
    double y = out->getDouble(i) *
               ctx.input(1).getDouble(paramOffset(i, scaleStrides));
    if (ctx.numOperands() == 3)
      y += ctx.input(2).getDouble(paramOffset(i, biasStrides));
    out->setDouble(i, y);
  }
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

LogicalResult evalLrn(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  int64_t size = ctx.intAttr("size"), channels = shape[1];
  int64_t inner = x.numElements() / std::max<int64_t>(shape[0] * channels, 1);
  double alpha = ctx.floatAttr("alpha"), beta = ctx.floatAttr("beta"),
         bias = ctx.floatAttr("bias");
  int64_t below = (size - 1) / 2, above = size - 1 - below;
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t c = (i / inner) % channels, base = i - c * inner;
    double sum = 0;
    for (int64_t k = std::max<int64_t>(0, c - below);
         k <= std::min(channels - 1, c + above); ++k) {
      double v = x.getDouble(base + k * inner);
      sum += v * v;
    }
    out->setDouble(i, x.getDouble(i) / std::pow(bias + alpha / size * sum, beta));
  }
  return success();
}

} // namespace

void registerNormalizationOps(OpRegistry &registry) {
  registry.add({"batch_norm", "normalization", 5, 5,
                {{"epsilon", AttrKind::Float, false, 1e-5}}, inferChannelNorm,
                evalBatchNorm});
  registry.add({"instance_norm", "normalization", 3, 3,
                {{"epsilon", AttrKind::Float, false, 1e-5}}, inferChannelNorm,
                evalInstanceNorm});
  registry.add({"layer_norm", "normalization", 2, 3,
                {{"axis", AttrKind::Int, false, -1}, {"epsilon", AttrKind::Float, false, 1e-5}},
                inferLayerNorm, evalLayerNorm});
  registry.add({"lrn", "normalization", 1, 1,
                {{"size", AttrKind::Int, true},
                 {"alpha", AttrKind::Float, false, 1e-4},
                 {"beta", AttrKind::Float, false, 0.75},
                 {"bias", AttrKind::Float, false, 1.0}},
                inferLrn, evalLrn});
}

} // namespace dlc
