//===- Reduction.cpp - Reductions, arg-reductions, softmax ---------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "kernels/Reduction.h"

#include <cmath>

#include <algorithm>

namespace dlc {
namespace {

using namespace kernels;

/// Normalized, sorted, unique reduction axes; all axes when none are given.
LogicalResult reductionAxes(InferContext &ctx, int64_t rank,
                            std::vector<int64_t> &axes) {
  bool dynamic;
  std::optional<std::vector<int64_t>> given = ctx.axesAttrOrOperand(1, dynamic);
  if (!given || given->empty()) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return success();
  }
  return ctx.normalizeAxes(*given, rank, "axes", axes);
}

/// x's dims with `axes` removed, or set to 1 when keepdims.
std::vector<Dim> reducedDims(const TensorType &x,
                             const std::vector<int64_t> &axes, bool keepdims) {
  std::vector<Dim> dims;
  for (int64_t i = 0; i < x.rank(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced)
      dims.push_back(x.dim(i));
    else if (keepdims)
      dims.push_back(Dim(1));
  }
  return dims;
}

LogicalResult inferReduce(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> given = ctx.axesAttrOrOperand(1, dynamic);
  if (given && given->empty() && ctx.intAttr("noop_with_empty_axes")) {
    ctx.addResult(x);
    return success();
  }
  if (!x.hasRank() || dynamic) {
    bool keep = ctx.intAttr("keepdims") && x.hasRank();
    ctx.addResult(keep ? TensorType(x.dtype(), std::vector<Dim>(x.rank()))
                       : TensorType::unranked(x.dtype()));
    return success();
  }
  std::vector<int64_t> axes;
  if (failed(reductionAxes(ctx, x.rank(), axes)))
    return failure();
  ctx.addResult(
      TensorType(x.dtype(), reducedDims(x, axes, ctx.intAttr("keepdims"))));
  return success();
}

LogicalResult inferArgReduce(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (!x.hasRank()) {
    ctx.addResult(TensorType::unranked(DType::I64));
    return success();
  }
  int64_t axis;
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis)))
    return failure();
  ctx.addResult(TensorType(DType::I64,
                           reducedDims(x, {axis}, ctx.intAttr("keepdims"))));
  return success();
}

LogicalResult inferSoftmax(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  int64_t axis;
  if (x.hasRank() &&
      failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis)))
    return failure();
  ctx.addResult(x);
  return success();
}

using dlrt::kernels::ReduceOp;

// cumsum(x, axis): running sums along axis; `exclusive` shifts by one,
// `reverse` runs from the end.
LogicalResult inferCumSum(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)) ||
      failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

using dlrt::ops::LoweredOp;

LogicalResult lowerReduce(const InferContext &ctx, LoweredOp &op, ReduceOp reduce) {
  dlrt::ops::ReduceOpParams params;
  params.op = reduce;
  if (const std::vector<int64_t> *axes = ctx.intsAttr("axes")) {
    params.hasAxes = true;
    params.axes = *axes;
  }
  params.noopWithEmptyAxes = ctx.intAttr("noop_with_empty_axes") != 0;
  params.keepDims = ctx.intAttr("keepdims") != 0;
  return lowerTo(op, "reduce", params);
}

LogicalResult lowerArgReduce(const InferContext &ctx, LoweredOp &op, bool isMax) {
  return lowerTo(op, "arg_reduce",
                 dlrt::kernels::ArgReduceParams{isMax, ctx.intAttr("axis"),
                                                ctx.intAttr("select_last_index") != 0,
                                                ctx.intAttr("keepdims") != 0});
}

LogicalResult lowerSoftmax(const InferContext &ctx, LoweredOp &op, bool log) {
  return lowerTo(op, "softmax", dlrt::kernels::SoftmaxParams{ctx.intAttr("axis"), log});
}

} // namespace

void registerReductionOps(OpRegistry &registry) {
  auto reduce = [&](std::string_view name, LowerFn eval) {
    registry.add({name, "reduction", 1, 2,
                  {{"axes", AttrKind::Ints},
                   {"keepdims", AttrKind::Int, false, 1},
                   {"noop_with_empty_axes", AttrKind::Int, false, 0}},
                  inferReduce, eval});
  };
  reduce("reduce_sum", [](const InferContext &c, LoweredOp &o) { return lowerReduce(c, o, ReduceOp::Sum); });
  reduce("reduce_mean", [](const InferContext &c, LoweredOp &o) { return lowerReduce(c, o, ReduceOp::Mean); });
  reduce("reduce_max", [](const InferContext &c, LoweredOp &o) { return lowerReduce(c, o, ReduceOp::Max); });
  reduce("reduce_min", [](const InferContext &c, LoweredOp &o) { return lowerReduce(c, o, ReduceOp::Min); });
  reduce("reduce_prod", [](const InferContext &c, LoweredOp &o) { return lowerReduce(c, o, ReduceOp::Prod); });
  auto argReduce = [&](std::string_view name, LowerFn eval) {
    registry.add({name, "reduction", 1, 1,
                  {{"axis", AttrKind::Int, false, 0},
                   {"keepdims", AttrKind::Int, false, 1},
                   {"select_last_index", AttrKind::Int, false, 0}},
                  inferArgReduce, eval});
  };
  argReduce("argmax", [](const InferContext &c, LoweredOp &o) { return lowerArgReduce(c, o, true); });
  argReduce("argmin", [](const InferContext &c, LoweredOp &o) { return lowerArgReduce(c, o, false); });
  registry.add({"softmax", "reduction", 1, 1, {{"axis", AttrKind::Int, false, -1}},
                inferSoftmax, [](const InferContext &c, LoweredOp &o) { return lowerSoftmax(c, o, false); }});
  registry.add({"cumsum", "reduction", 2, 2,
                {{"exclusive", AttrKind::Int, false, 0}, {"reverse", AttrKind::Int, false, 0}},
                inferCumSum, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "cumsum",
                                 dlrt::kernels::CumSumParams{0, c.intAttr("exclusive") != 0,
                                                             c.intAttr("reverse") != 0});
                }});
  registry.add({"log_softmax", "reduction", 1, 1, {{"axis", AttrKind::Int, false, -1}},
                inferSoftmax, [](const InferContext &c, LoweredOp &o) { return lowerSoftmax(c, o, true); }});
}

} // namespace dlc
