//===- Reduction.cpp - Reductions, arg-reductions, softmax ---------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

#include <algorithm>

namespace dlc {
namespace {

/// Normalized, sorted, unique reduction axes; all axes when `axes` is absent.
LogicalResult reductionAxes(InferContext &ctx, int64_t rank,
                            std::vector<int64_t> &axes) {
  const std::vector<int64_t> *given = ctx.intsAttr("axes");
  if (!given) {
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
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  std::vector<int64_t> axes;
  if (failed(reductionAxes(ctx, x.rank(), axes)))
    return failure();
  ctx.addResult(
      TensorType(x.dtype(), reducedDims(x, axes, ctx.intAttr("keepdims", 1))));
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
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis", 0), x.rank(), axis)))
    return failure();
  ctx.addResult(TensorType(DType::I64,
                           reducedDims(x, {axis}, ctx.intAttr("keepdims", 1))));
  return success();
}

LogicalResult inferSoftmax(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  int64_t axis;
  if (x.hasRank() &&
      failed(ctx.normalizeAxis(ctx.intAttr("axis", -1), x.rank(), axis)))
    return failure();
  ctx.addResult(x);
  return success();
}

} // namespace

void registerReductionOps(OpRegistry &registry) {
  for (std::string_view name : {"reduce_sum", "reduce_mean", "reduce_max",
                                "reduce_min", "reduce_prod"})
    registry.add({name, "reduction", 1, 1,
                  {{"axes", AttrKind::Ints}, {"keepdims", AttrKind::Int}},
                  inferReduce});
  for (std::string_view name : {"argmax", "argmin"})
    registry.add({name, "reduction", 1, 1,
                  {{"axis", AttrKind::Int},
                   {"keepdims", AttrKind::Int},
                   {"select_last_index", AttrKind::Int}},
                  inferArgReduce});
  for (std::string_view name : {"softmax", "log_softmax"})
    registry.add({name, "reduction", 1, 1, {{"axis", AttrKind::Int}},
                  inferSoftmax});
}

} // namespace dlc
