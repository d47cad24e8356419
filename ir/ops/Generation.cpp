//===- Generation.cpp - Ops that make tensors: range, one_hot, trilu ------===//
//
// range(start, limit, delta) counts like Python's range over scalars;
// one_hot(indices, depth, values) writes values[1] at each index along a
// new `axis`; trilu(x, [k]) keeps the upper (or lower) triangle of the last
// two dims relative to diagonal k.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "kernels/Generation.h"

#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

LogicalResult expectScalar(InferContext &ctx, size_t i) {
  const TensorType &type = ctx.operandType(i);
  if (type.hasRank() && !(type.rank() == 0 ||
                          (type.rank() == 1 && type.dim(0) == Dim(1))))
    return ctx.error("operand " + std::to_string(i) +
                     " must be a scalar, got " + type.str());
  return success();
}

/// Number of elements range(start, limit, delta) produces.
int64_t rangeLength(double start, double limit, double delta) {
  return std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
}

LogicalResult inferRange(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kNumericTypes)))
    return failure();
  for (size_t i = 0; i < 3; ++i)
    if (failed(expectScalar(ctx, i)))
      return failure();
  DType dtype = ctx.operandType(0).dtype();
  const Tensor *start = ctx.constantOperand(0), *limit = ctx.constantOperand(1),
               *delta = ctx.constantOperand(2);
  if (!start || !limit || !delta) {
    ctx.addResult(TensorType(dtype, {Dim::unknown()}));
    return success();
  }
  if (delta->getDouble(0) == 0)
    return ctx.error("delta must not be 0");
  double span = (limit->getDouble(0) - start->getDouble(0)) / delta->getDouble(0);
  if (!std::isfinite(span) || span > double(kMaxDimSize))
    return ctx.error("range from " + std::to_string(start->getDouble(0)) + " to " +
                     std::to_string(limit->getDouble(0)) + " is not a finite "
                     "length of at most 2^40");
  int64_t length = rangeLength(start->getDouble(0), limit->getDouble(0),
                               delta->getDouble(0));
  if (length > kMaxDimSize)
    return ctx.error("range of " + std::to_string(length) + " elements is too long");
  ctx.addResult(TensorType(dtype, {Dim(length)}));
  return success();
}

LogicalResult inferOneHot(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)) || failed(expectScalar(ctx, 1)))
    return failure();
  const TensorType &indices = ctx.operandType(0), &values = ctx.operandType(2);
  if (values.hasRank() && !(values.rank() == 1 && values.dim(0).compatibleWith(Dim(2))))
    return ctx.error("values must be [off, on], got " + values.str());
  if (!indices.hasRank()) {
    ctx.addResult(TensorType::unranked(values.dtype()));
    return success();
  }
  int64_t axis;
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), indices.rank() + 1, axis)))
    return failure();
  Dim depth = Dim::unknown();
  if (const Tensor *given = ctx.constantOperand(1)) {
    int64_t d = static_cast<int64_t>(given->getDouble(0));
    if (d < 0 || d > kMaxDimSize)
      return ctx.error("depth " + std::to_string(d) + " is out of range");
    depth = Dim(d);
  }
  std::vector<Dim> dims = indices.dims();
  dims.insert(dims.begin() + axis, depth);
  ctx.addResult(TensorType(values.dtype(), std::move(dims)));
  return success();
}

LogicalResult inferTrilu(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  if (x.hasRank() && x.rank() < 2)
    return ctx.error("needs rank >= 2, got " + x.str());
  if (ctx.numOperands() == 2 &&
      (failed(ctx.expectDType(1, {DType::I64})) || failed(expectScalar(ctx, 1))))
    return failure();
  ctx.addResult(x);
  return success();
}

} // namespace

void registerGenerationOps(OpRegistry &registry) {
  using dlrt::ops::LoweredOp;
  registry.add({"range", "generation", 3, 3, {}, inferRange,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "range"); }});
  registry.add({"one_hot", "generation", 3, 3, {{"axis", AttrKind::Int, false, -1}},
                inferOneHot, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "one_hot", dlrt::ops::AxisParams{c.intAttr("axis")});
                }});
  registry.add({"trilu", "generation", 1, 2, {{"upper", AttrKind::Int, false, 1}},
                inferTrilu, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "trilu", dlrt::ops::TriluParams{c.intAttr("upper") != 0});
                }});
}

} // namespace dlc
