//===- Elementwise.cpp - Unary, binary and ternary elementwise ops -------===//
//
// Binary and ternary ops broadcast numpy-style. Unary ops keep the operand's
// type; comparisons produce bool.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "kernels/Elementwise.h"

#include <cmath>
#include <functional>

namespace dlc {
namespace {

using namespace kernels;

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
  if (ctx.unrankedResults({dtype}))
    return success();
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


//===----------------------------------------------------------------------===//
// Reference implementations: the runtime's kernel library
//===----------------------------------------------------------------------===//

using dlrt::kernels::BinaryOp;
using dlrt::kernels::UnaryOp;
using dlrt::ops::LoweredOp;

LogicalResult lowerUnary(LoweredOp &op, UnaryOp unary, double alpha = 0) {
  return lowerTo(op, "unary", dlrt::kernels::UnaryParams{unary, alpha});
}

LogicalResult lowerBinary(LoweredOp &op, BinaryOp binary) {
  return lowerTo(op, "binary", dlrt::ops::BinaryParams{binary});
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  // A LowerFn is a plain function pointer: one per op, each naming its kernel.
#define DLC_UNARY(op) [](const InferContext &, LoweredOp &o) { return lowerUnary(o, UnaryOp::op); }
  auto unaryFloat = [&](std::string_view name, LowerFn eval,
                        std::vector<AttrSpec> attrs = {}) {
    registry.add({name, "elementwise", 1, 1, std::move(attrs), inferUnaryFloat,
                  eval});
  };
  unaryFloat("exp", DLC_UNARY(Exp));
  unaryFloat("log", DLC_UNARY(Log));
  unaryFloat("sqrt", DLC_UNARY(Sqrt));
  unaryFloat("rsqrt", DLC_UNARY(Rsqrt));
  unaryFloat("reciprocal", DLC_UNARY(Reciprocal));
  unaryFloat("sigmoid", DLC_UNARY(Sigmoid));
  unaryFloat("tanh", DLC_UNARY(Tanh));
  unaryFloat("erf", DLC_UNARY(Erf));
  unaryFloat("sin", DLC_UNARY(Sin));
  unaryFloat("cos", DLC_UNARY(Cos));
  unaryFloat("tan", DLC_UNARY(Tan));
  unaryFloat("asin", DLC_UNARY(Asin));
  unaryFloat("acos", DLC_UNARY(Acos));
  unaryFloat("atan", DLC_UNARY(Atan));
  unaryFloat("sinh", DLC_UNARY(Sinh));
  unaryFloat("cosh", DLC_UNARY(Cosh));
  unaryFloat("asinh", DLC_UNARY(Asinh));
  unaryFloat("acosh", DLC_UNARY(Acosh));
  unaryFloat("atanh", DLC_UNARY(Atanh));
  unaryFloat("floor", DLC_UNARY(Floor));
  unaryFloat("ceil", DLC_UNARY(Ceil));
  unaryFloat("round", DLC_UNARY(Round));
  unaryFloat("softplus", DLC_UNARY(Softplus));
  unaryFloat("leaky_relu",
             [](const InferContext &c, LoweredOp &o) {
               return lowerUnary(o, UnaryOp::LeakyRelu, c.floatAttr("alpha"));
             },
             {{"alpha", AttrKind::Float, false, 0.01}});
  unaryFloat("elu",
             [](const InferContext &c, LoweredOp &o) {
               return lowerUnary(o, UnaryOp::Elu, c.floatAttr("alpha"));
             },
             {{"alpha", AttrKind::Float, false, 1.0}});

  auto unaryNumeric = [&](std::string_view name, LowerFn eval) {
    registry.add({name, "elementwise", 1, 1, {}, inferUnaryNumeric, eval});
  };
  unaryNumeric("neg", DLC_UNARY(Neg));
  unaryNumeric("abs", DLC_UNARY(Abs));
  unaryNumeric("relu", DLC_UNARY(Relu));
  unaryNumeric("sign", DLC_UNARY(Sign));
  registry.add({"not", "elementwise", 1, 1, {}, inferUnaryBool, DLC_UNARY(Not)});
#undef DLC_UNARY

#define DLC_BINARY(op) [](const InferContext &, LoweredOp &o) { return lowerBinary(o, BinaryOp::op); }
  auto arithmetic = [&](std::string_view name, LowerFn eval,
                        std::vector<AttrSpec> attrs = {}) {
    registry.add({name, "elementwise", 2, 2, std::move(attrs), inferArithmetic, eval});
  };
  arithmetic("add", DLC_BINARY(Add));
  arithmetic("sub", DLC_BINARY(Sub));
  arithmetic("mul", DLC_BINARY(Mul));
  arithmetic("div", DLC_BINARY(Div));
  arithmetic("pow", DLC_BINARY(Pow));
  // fmod = 0: the result takes the divisor's sign (Python); 1: C fmod.
  arithmetic("mod",
             [](const InferContext &c, LoweredOp &o) {
               return lowerBinary(o, c.intAttr("fmod") ? BinaryOp::FMod : BinaryOp::Mod);
             },
             {{"fmod", AttrKind::Int, false, 0}});
  arithmetic("max", DLC_BINARY(Max));
  arithmetic("min", DLC_BINARY(Min));

  registry.add({"equal", "elementwise", 2, 2, {}, inferEquality, DLC_BINARY(Equal)});
  auto ordering = [&](std::string_view name, LowerFn eval) {
    registry.add({name, "elementwise", 2, 2, {}, inferOrdering, eval});
  };
  ordering("less", DLC_BINARY(Less));
  ordering("less_equal", DLC_BINARY(LessEqual));
  ordering("greater", DLC_BINARY(Greater));
  ordering("greater_equal", DLC_BINARY(GreaterEqual));
  auto logic = [&](std::string_view name, LowerFn eval) {
    registry.add({name, "elementwise", 2, 2, {}, inferLogic, eval});
  };
  logic("and", DLC_BINARY(And));
  logic("or", DLC_BINARY(Or));
  logic("xor", DLC_BINARY(Xor));
#undef DLC_BINARY

  registry.add({"bit_shift", "elementwise", 2, 2,
                {{"direction", AttrKind::String, true}},
                [](InferContext &c) {
                  if (failed(c.expectDType(0, {DType::U8, DType::U16, DType::U32, DType::U64})))
                    return failure();
                  std::string direction = c.stringAttr("direction");
                  if (direction != "LEFT" && direction != "RIGHT")
                    return c.error("direction must be LEFT or RIGHT");
                  return inferBinary(c, kNumericTypes, std::nullopt);
                },
                [](const InferContext &c, LoweredOp &o) {
                  return lowerBinary(o, c.stringAttr("direction") == "LEFT"
                                            ? BinaryOp::ShiftLeft
                                            : BinaryOp::ShiftRight);
                }});
  registry.add({"where", "elementwise", 3, 3, {}, inferWhere,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "where"); }});
  registry.add({"clip", "elementwise", 1, 3, {}, inferClip,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "clip"); }});
}

} // namespace dlc
