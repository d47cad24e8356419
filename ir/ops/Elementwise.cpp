//===- Elementwise.cpp - Unary, binary and ternary elementwise ops -------===//
//
// Binary and ternary ops broadcast numpy-style. Unary ops keep the operand's
// type; comparisons produce bool.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

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
// Reference implementations
//===----------------------------------------------------------------------===//

/// out[i] = fn(x[i]) computed in double (floats) or int64 (integers, bool).
template <typename FloatFn, typename IntFn>
LogicalResult unaryKernel(EvalContext &ctx, FloatFn floatFn, IntFn intFn) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  bool useFloat = floatMath(x.dtype());
  for (int64_t i = 0; i < x.numElements(); ++i) {
    if (useFloat)
      out->setDouble(i, floatFn(x.getDouble(i)));
    else
      out->setInt(i, intFn(x.getInt(i)));
  }
  return success();
}

template <typename FloatFn> LogicalResult floatKernel(EvalContext &ctx, FloatFn fn) {
  return unaryKernel(ctx, fn, [](int64_t v) { return v; });
}

/// Applies fn(element of each operand) over the broadcast result shape;
/// fn receives the operands' flat offsets and the output's.
template <typename Fn> LogicalResult broadcastKernel(EvalContext &ctx, Fn fn) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape outShape = shapeOf(*out);
  std::vector<Shape> strides;
  for (size_t i = 0; i < ctx.numOperands(); ++i)
    strides.push_back(broadcastStrides(shapeOf(ctx.input(i)), outShape));
  int64_t linear = 0;
  std::vector<int64_t> offsets(ctx.numOperands());
  forEachIndex(outShape, [&](const Shape &index) {
    for (size_t i = 0; i < offsets.size(); ++i)
      offsets[i] = offsetOf(index, strides[i]);
    fn(*out, linear++, offsets);
  });
  return success();
}

/// out = a OP b with broadcasting; floats in double, integers in int64.
template <typename FloatFn, typename IntFn>
LogicalResult binaryKernel(EvalContext &ctx, FloatFn floatFn, IntFn intFn) {
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  bool useFloat = floatMath(a.dtype());
  bool ok = true;
  LogicalResult result = broadcastKernel(
      ctx, [&](Tensor &out, int64_t i, const std::vector<int64_t> &at) {
        if (useFloat)
          out.setDouble(i, floatFn(a.getDouble(at[0]), b.getDouble(at[1])));
        else
          out.setInt(i, intFn(a.getInt(at[0]), b.getInt(at[1]), ok));
      });
  if (failed(result))
    return failure();
  if (!ok)
    return ctx.error("integer division by zero");
  return success();
}

/// Integer ops that cannot fail ignore the `ok` flag.
template <typename Fn> auto total(Fn fn) {
  return [fn](int64_t a, int64_t b, bool &) { return fn(a, b); };
}

template <typename FloatFn, typename IntFn>
LogicalResult compareKernel(EvalContext &ctx, FloatFn floatFn, IntFn intFn) {
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  bool useFloat = floatMath(a.dtype());
  bool isUnsigned64 = a.dtype() == DType::U64;
  return broadcastKernel(
      ctx, [&](Tensor &out, int64_t i, const std::vector<int64_t> &at) {
        bool value;
        if (useFloat)
          value = floatFn(a.getDouble(at[0]), b.getDouble(at[1]));
        else if (isUnsigned64)
          value = intFn(static_cast<uint64_t>(a.getInt(at[0])),
                        static_cast<uint64_t>(b.getInt(at[1])));
        else
          value = intFn(a.getInt(at[0]), b.getInt(at[1]));
        out.setInt(i, value);
      });
}

LogicalResult evalWhere(EvalContext &ctx) {
  const Tensor &c = ctx.input(0), &a = ctx.input(1), &b = ctx.input(2);
  return broadcastKernel(
      ctx, [&](Tensor &out, int64_t i, const std::vector<int64_t> &at) {
        if (c.getInt(at[0]))
          copyElement(a, at[1], out, i);
        else
          copyElement(b, at[2], out, i);
      });
}

LogicalResult evalClip(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  bool hasMin = ctx.numOperands() > 1, hasMax = ctx.numOperands() > 2;
  for (int64_t i = 0; i < x.numElements(); ++i) {
    if (floatMath(x.dtype())) {
      double v = x.getDouble(i);
      if (hasMin) v = std::max(v, ctx.input(1).getDouble(0));
      if (hasMax) v = std::min(v, ctx.input(2).getDouble(0));
      out->setDouble(i, v);
    } else {
      int64_t v = x.getInt(i);
      if (hasMin) v = std::max(v, ctx.input(1).getInt(0));
      if (hasMax) v = std::min(v, ctx.input(2).getInt(0));
      out->setInt(i, v);
    }
  }
  return success();
}

// Integer arithmetic wraps in two's complement, as ONNX Runtime and numpy
// do (signed overflow in C++ is undefined behaviour): compute in uint64_t.
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
int64_t wrapNeg(int64_t a) { return wrapSub(0, a); }

// By squaring: O(log exponent), wrapping.
int64_t intPow(int64_t base, int64_t exponent) {
  if (exponent < 0)
    return base == 1 ? 1 : base == -1 ? (exponent % 2 ? -1 : 1) : 0;
  uint64_t result = 1, factor = static_cast<uint64_t>(base);
  for (uint64_t e = static_cast<uint64_t>(exponent); e; e >>= 1) {
    if (e & 1)
      result *= factor;
    factor *= factor;
  }
  return static_cast<int64_t>(result);
}

double pythonMod(double a, double b) {
  double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

} // namespace

void registerElementwiseOps(OpRegistry &registry) {
  auto unaryFloat = [&](std::string_view name, EvalFn eval,
                        std::vector<AttrSpec> attrs = {}) {
    registry.add({name, "elementwise", 1, 1, std::move(attrs), inferUnaryFloat,
                  eval});
  };
  unaryFloat("exp", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::exp(x); }); });
  unaryFloat("log", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::log(x); }); });
  unaryFloat("sqrt", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::sqrt(x); }); });
  unaryFloat("rsqrt", [](EvalContext &c) { return floatKernel(c, [](double x) { return 1 / std::sqrt(x); }); });
  unaryFloat("reciprocal", [](EvalContext &c) { return floatKernel(c, [](double x) { return 1 / x; }); });
  unaryFloat("sigmoid", [](EvalContext &c) { return floatKernel(c, [](double x) { return 1 / (1 + std::exp(-x)); }); });
  unaryFloat("tanh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::tanh(x); }); });
  unaryFloat("erf", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::erf(x); }); });
  unaryFloat("sin", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::sin(x); }); });
  unaryFloat("cos", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::cos(x); }); });
  unaryFloat("tan", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::tan(x); }); });
  unaryFloat("asin", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::asin(x); }); });
  unaryFloat("acos", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::acos(x); }); });
  unaryFloat("atan", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::atan(x); }); });
  unaryFloat("sinh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::sinh(x); }); });
  unaryFloat("cosh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::cosh(x); }); });
  unaryFloat("asinh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::asinh(x); }); });
  unaryFloat("acosh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::acosh(x); }); });
  unaryFloat("atanh", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::atanh(x); }); });
  unaryFloat("floor", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::floor(x); }); });
  unaryFloat("ceil", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::ceil(x); }); });
  // Round half to even, as ONNX and numpy do.
  unaryFloat("round", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::nearbyint(x); }); });
  unaryFloat("softplus", [](EvalContext &c) { return floatKernel(c, [](double x) { return std::log1p(std::exp(x)); }); });
  unaryFloat(
      "leaky_relu",
      [](EvalContext &c) {
        double alpha = c.floatAttr("alpha");
        return floatKernel(c, [alpha](double x) { return x < 0 ? alpha * x : x; });
      },
      {{"alpha", AttrKind::Float, false, 0.01}});
  unaryFloat(
      "elu",
      [](EvalContext &c) {
        double alpha = c.floatAttr("alpha");
        return floatKernel(c, [alpha](double x) { return x < 0 ? alpha * (std::exp(x) - 1) : x; });
      },
      {{"alpha", AttrKind::Float, false, 1.0}});

  auto unaryNumeric = [&](std::string_view name, EvalFn eval) {
    registry.add({name, "elementwise", 1, 1, {}, inferUnaryNumeric, eval});
  };
  unaryNumeric("neg", [](EvalContext &c) { return unaryKernel(c, [](double x) { return -x; }, wrapNeg); });
  unaryNumeric("abs", [](EvalContext &c) { return unaryKernel(c, [](double x) { return std::fabs(x); }, [](int64_t x) { return x < 0 ? wrapNeg(x) : x; }); });
  unaryNumeric("relu", [](EvalContext &c) { return unaryKernel(c, [](double x) { return x > 0 ? x : 0.0; }, [](int64_t x) { return x > 0 ? x : 0; }); });
  unaryNumeric("sign", [](EvalContext &c) { return unaryKernel(c, [](double x) { return double((x > 0) - (x < 0)); }, [](int64_t x) { return int64_t((x > 0) - (x < 0)); }); });
  registry.add({"not", "elementwise", 1, 1, {}, inferUnaryBool,
                [](EvalContext &c) { return unaryKernel(c, [](double x) { return x; }, [](int64_t x) { return int64_t(!x); }); }});

  auto arithmetic = [&](std::string_view name, EvalFn eval,
                        std::vector<AttrSpec> attrs = {}) {
    registry.add({name, "elementwise", 2, 2, std::move(attrs), inferArithmetic, eval});
  };
  arithmetic("add", [](EvalContext &c) { return binaryKernel(c, std::plus<double>(), total(wrapAdd)); });
  arithmetic("sub", [](EvalContext &c) { return binaryKernel(c, std::minus<double>(), total(wrapSub)); });
  arithmetic("mul", [](EvalContext &c) { return binaryKernel(c, std::multiplies<double>(), total(wrapMul)); });
  arithmetic("div", [](EvalContext &c) {
    return binaryKernel(c, std::divides<double>(), [](int64_t a, int64_t b, bool &ok) {
      if (b == 0) { ok = false; return int64_t(0); }
      return b == -1 ? wrapNeg(a) : a / b; // INT64_MIN / -1 wraps
    });
  });
  arithmetic("pow", [](EvalContext &c) { return binaryKernel(c, [](double a, double b) { return std::pow(a, b); }, total(intPow)); });
  // fmod = 0: the result takes the divisor's sign (Python); 1: C fmod.
  arithmetic(
      "mod",
      [](EvalContext &c) {
        bool cStyle = c.intAttr("fmod");
        return binaryKernel(
            c,
            [cStyle](double a, double b) { return cStyle ? std::fmod(a, b) : pythonMod(a, b); },
            [cStyle](int64_t a, int64_t b, bool &ok) {
              if (b == 0) { ok = false; return int64_t(0); }
              int64_t r = b == -1 ? 0 : a % b; // INT64_MIN % -1 is UB
              return (!cStyle && r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
            });
      },
      {{"fmod", AttrKind::Int, false, 0}});
  arithmetic("max", [](EvalContext &c) { return binaryKernel(c, [](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }, total([](int64_t a, int64_t b) { return std::max(a, b); })); });
  arithmetic("min", [](EvalContext &c) { return binaryKernel(c, [](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }, total([](int64_t a, int64_t b) { return std::min(a, b); })); });

  registry.add({"equal", "elementwise", 2, 2, {}, inferEquality,
                [](EvalContext &c) { return compareKernel(c, std::equal_to<double>(), std::equal_to<>()); }});
  auto ordering = [&](std::string_view name, EvalFn eval) {
    registry.add({name, "elementwise", 2, 2, {}, inferOrdering, eval});
  };
  ordering("less", [](EvalContext &c) { return compareKernel(c, std::less<double>(), std::less<>()); });
  ordering("less_equal", [](EvalContext &c) { return compareKernel(c, std::less_equal<double>(), std::less_equal<>()); });
  ordering("greater", [](EvalContext &c) { return compareKernel(c, std::greater<double>(), std::greater<>()); });
  ordering("greater_equal", [](EvalContext &c) { return compareKernel(c, std::greater_equal<double>(), std::greater_equal<>()); });
  auto logic = [&](std::string_view name, EvalFn eval) {
    registry.add({name, "elementwise", 2, 2, {}, inferLogic, eval});
  };
  logic("and", [](EvalContext &c) { return compareKernel(c, std::logical_and<double>(), std::logical_and<>()); });
  logic("or", [](EvalContext &c) { return compareKernel(c, std::logical_or<double>(), std::logical_or<>()); });
  logic("xor", [](EvalContext &c) { return compareKernel(c, std::not_equal_to<double>(), std::not_equal_to<>()); });

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
                [](EvalContext &c) {
                  bool left = c.stringAttr("direction") == "LEFT";
                  return binaryKernel(
                      c, [](double a, double) { return a; },
                      total([left](int64_t a, int64_t b) {
                        uint64_t u = static_cast<uint64_t>(a);
                        if (b < 0 || b >= 64)
                          return int64_t(0);
                        return static_cast<int64_t>(left ? u << b : u >> b);
                      }));
                }});
  registry.add({"where", "elementwise", 3, 3, {}, inferWhere, evalWhere});
  registry.add({"clip", "elementwise", 1, 3, {}, inferClip, evalClip});
}

} // namespace dlc
