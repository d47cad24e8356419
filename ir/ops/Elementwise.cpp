//===- Elementwise.cpp - Unary, binary and ternary elementwise ops -------===//
//
// Binary and ternary ops broadcast numpy-style. Unary ops keep the operand's
// type; comparisons produce bool.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

namespace dlc {
namespace {

LogicalResult inferUnaryFloat(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

LogicalResult inferUnaryNumeric(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

LogicalResult inferUnaryBool(InferContext &ctx) {
  if (failed(ctx.expectDType(0, {DType::Bool})))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

/// The broadcast shape of all operands from `first` on, with `dtype`.
LogicalResult addBroadcastResult(InferContext &ctx, size_t first, DType dtype) {
  if (!ctx.operandsRanked()) {
    ctx.addResult(TensorType::unranked(dtype));
    return success();
  }
  std::vector<Dim> dims = ctx.operandType(first).dims();
  for (size_t i = first + 1; i < ctx.numOperands(); ++i) {
    std::optional<std::vector<Dim>> next =
        broadcastDims(dims, ctx.operandType(i).dims());
    if (!next) {
      std::string shapes;
      for (size_t j = first; j < ctx.numOperands(); ++j)
        shapes += (j == first ? "" : ", ") + ctx.operandType(j).str();
      return ctx.error("operands do not broadcast: " + shapes);
    }
    dims = std::move(*next);
  }
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

LogicalResult inferBinary(InferContext &ctx,
                          std::initializer_list<DType> allowed,
                          std::optional<DType> resultDType) {
  if (failed(ctx.expectDType(0, allowed)) ||
      failed(ctx.expectSameDType(0, 1)))
    return failure();
  return addBroadcastResult(
      ctx, 0, resultDType.value_or(ctx.operandType(0).dtype()));
}

LogicalResult inferArithmetic(InferContext &ctx) {
  return inferBinary(ctx, kNumericTypes, std::nullopt);
}
LogicalResult inferEquality(InferContext &ctx) {
  if (failed(ctx.expectSameDType(0, 1)))
    return failure();
  return addBroadcastResult(ctx, 0, DType::Bool);
}
LogicalResult inferOrdering(InferContext &ctx) {
  return inferBinary(ctx, kNumericTypes, DType::Bool);
}
LogicalResult inferLogic(InferContext &ctx) {
  return inferBinary(ctx, {DType::Bool}, DType::Bool);
}

LogicalResult inferWhere(InferContext &ctx) {
  if (failed(ctx.expectDType(0, {DType::Bool})) ||
      failed(ctx.expectSameDType(1, 2)))
    return failure();
  return addBroadcastResult(ctx, 0, ctx.operandType(1).dtype());
}

// clip(x, [min], [max]): bounds are scalars of x's dtype.
LogicalResult inferClip(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)))
    return failure();
  for (size_t i = 1; i < ctx.numOperands(); ++i) {
    if (failed(ctx.expectSameDType(0, i)))
      return failure();
    const TensorType &bound = ctx.operandType(i);
    if (bound.hasRank() && bound.rank() != 0)
      return ctx.error("bound operand " + std::to_string(i) +
                       " must be a scalar, got " + bound.str());
  }
  ctx.addResult(ctx.operandType(0));
  return success();
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  for (std::string_view name :
       {"exp", "log", "sqrt", "rsqrt", "reciprocal", "sigmoid", "tanh", "erf",
        "sin", "cos", "floor", "ceil", "round", "softplus"})
    registry.add({name, "elementwise", 1, 1, {}, inferUnaryFloat});
  registry.add({"leaky_relu", "elementwise", 1, 1,
                {{"alpha", AttrKind::Float}}, inferUnaryFloat});
  registry.add({"elu", "elementwise", 1, 1, {{"alpha", AttrKind::Float}},
                inferUnaryFloat});
  for (std::string_view name : {"neg", "abs", "relu", "sign"})
    registry.add({name, "elementwise", 1, 1, {}, inferUnaryNumeric});
  registry.add({"not", "elementwise", 1, 1, {}, inferUnaryBool});

  for (std::string_view name :
       {"add", "sub", "mul", "div", "pow", "mod", "max", "min"})
    registry.add({name, "elementwise", 2, 2, {}, inferArithmetic});
  registry.add({"equal", "elementwise", 2, 2, {}, inferEquality});
  for (std::string_view name : {"less", "less_equal", "greater",
                                "greater_equal"})
    registry.add({name, "elementwise", 2, 2, {}, inferOrdering});
  for (std::string_view name : {"and", "or", "xor"})
    registry.add({name, "elementwise", 2, 2, {}, inferLogic});

  registry.add({"where", "elementwise", 3, 3, {}, inferWhere});
  registry.add({"clip", "elementwise", 1, 3, {}, inferClip});
}

} // namespace dlc
