//===- Reduction.cpp - Reductions, arg-reductions, softmax ---------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
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

LogicalResult evalReduce(EvalContext &ctx, ReduceOp op) {
  const Tensor &x = ctx.input(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> given = ctx.axesAttrOrOperand(1, dynamic);
  if (given && given->empty() && ctx.intAttr("noop_with_empty_axes")) {
    ctx.addOutput(ctx.sharedInput(0));
    return success();
  }
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  dlrt::kernels::ReduceParams params{op, {}};
  if (failed(reductionAxes(ctx, x.type().rank(), params.axes)))
    return failure();
  KernelBuffer in(x), result(*out);
  return checkStatus(ctx, dlrt::kernels::reduce(params, in.view(), result.view()));
}

LogicalResult evalArgReduce(EvalContext &ctx, bool isMax) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  dlrt::kernels::ArgReduceParams params{
      isMax, ctx.axisAttr("axis", shapeOf(x).size()),
      ctx.intAttr("select_last_index") != 0};
  KernelBuffer in(x), result(*out);
  return checkStatus(ctx, dlrt::kernels::argReduce(params, in.view(), result.view()));
}

LogicalResult evalSoftmax(EvalContext &ctx, bool log) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  size_t rank = shapeOf(x).size();
  dlrt::kernels::SoftmaxParams params{rank ? ctx.axisAttr("axis", rank) : 0, log};
  KernelBuffer in(x), result(*out);
  return checkStatus(ctx, dlrt::kernels::softmax(params, in.view(), result.view()));
}

// cumsum(x, axis): running sums along axis; `exclusive` shifts by one,
// `reverse` runs from the end.
LogicalResult inferCumSum(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)) ||
      failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

LogicalResult evalCumSum(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  int64_t axis;
  if (failed(ctx.normalizeAxis(ctx.input(1).getInt(0), x.type().rank(), axis)))
    return failure();
  dlrt::kernels::CumSumParams params{axis, ctx.intAttr("exclusive") != 0,
                                     ctx.intAttr("reverse") != 0};
  KernelBuffer in(x), result(*out);
  return checkStatus(ctx, dlrt::kernels::cumsum(params, in.view(), result.view()));
}

} // namespace

void registerReductionOps(OpRegistry &registry) {
  auto reduce = [&](std::string_view name, EvalFn eval) {
    registry.add({name, "reduction", 1, 2,
                  {{"axes", AttrKind::Ints},
                   {"keepdims", AttrKind::Int, false, 1},
                   {"noop_with_empty_axes", AttrKind::Int, false, 0}},
                  inferReduce, eval});
  };
  reduce("reduce_sum", [](EvalContext &c) { return evalReduce(c, ReduceOp::Sum); });
  reduce("reduce_mean", [](EvalContext &c) { return evalReduce(c, ReduceOp::Mean); });
  reduce("reduce_max", [](EvalContext &c) { return evalReduce(c, ReduceOp::Max); });
  reduce("reduce_min", [](EvalContext &c) { return evalReduce(c, ReduceOp::Min); });
  reduce("reduce_prod", [](EvalContext &c) { return evalReduce(c, ReduceOp::Prod); });
  auto argReduce = [&](std::string_view name, EvalFn eval) {
    registry.add({name, "reduction", 1, 1,
                  {{"axis", AttrKind::Int, false, 0},
                   {"keepdims", AttrKind::Int, false, 1},
                   {"select_last_index", AttrKind::Int, false, 0}},
                  inferArgReduce, eval});
  };
  argReduce("argmax", [](EvalContext &c) { return evalArgReduce(c, true); });
  argReduce("argmin", [](EvalContext &c) { return evalArgReduce(c, false); });
  registry.add({"softmax", "reduction", 1, 1, {{"axis", AttrKind::Int, false, -1}},
                inferSoftmax, [](EvalContext &c) { return evalSoftmax(c, false); }});
  registry.add({"cumsum", "reduction", 2, 2,
                {{"exclusive", AttrKind::Int, false, 0}, {"reverse", AttrKind::Int, false, 0}},
                inferCumSum, evalCumSum});
  registry.add({"log_softmax", "reduction", 1, 1, {{"axis", AttrKind::Int, false, -1}},
                inferSoftmax, [](EvalContext &c) { return evalSoftmax(c, true); }});
}

} // namespace dlc
