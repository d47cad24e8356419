//===- Indexing.cpp - gather, scatter, topk, nonzero ---------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

namespace dlc {
namespace {

LogicalResult inferGather(InferContext &ctx) {
  if (failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0), &indices = ctx.operandType(1);
  if (!ctx.operandsRanked()) {
    ctx.addResult(TensorType::unranked(x.dtype()));
    return success();
  }
  int64_t axis;
  if (x.rank() == 0)
    return ctx.error("cannot gather from a scalar");
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis", 0), x.rank(), axis)))
    return failure();
  std::vector<Dim> dims(x.dims().begin(), x.dims().begin() + axis);
  dims.insert(dims.end(), indices.dims().begin(), indices.dims().end());
  dims.insert(dims.end(), x.dims().begin() + axis + 1, x.dims().end());
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

/// gather_elements / scatter_elements: indices of x's rank along `axis`.
LogicalResult checkElementsIndices(InferContext &ctx) {
  if (failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0), &indices = ctx.operandType(1);
  if (!ctx.operandsRanked())
    return success();
  if (indices.rank() != x.rank() || x.rank() == 0)
    return ctx.error("indices " + indices.str() + " must have the rank of " +
                     x.str());
  int64_t axis;
  return ctx.normalizeAxis(ctx.intAttr("axis", 0), x.rank(), axis);
}

LogicalResult inferGatherElements(InferContext &ctx) {
  if (failed(checkElementsIndices(ctx)))
    return failure();
  const TensorType &indices = ctx.operandType(1);
  ctx.addResult(indices.hasRank()
                    ? TensorType(ctx.operandType(0).dtype(), indices.dims())
                    : TensorType::unranked(ctx.operandType(0).dtype()));
  return success();
}

LogicalResult checkReduction(InferContext &ctx) {
  std::string reduction = ctx.stringAttr("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return ctx.error("attribute 'reduction' must be none, add, mul, max or "
                     "min, got \"" + reduction + "\"");
  return success();
}

LogicalResult inferScatterElements(InferContext &ctx) {
  if (failed(checkElementsIndices(ctx)) || failed(ctx.expectSameDType(0, 2)) ||
      failed(checkReduction(ctx)))
    return failure();
  const TensorType &indices = ctx.operandType(1), &updates = ctx.operandType(2);
  if (indices.hasRank() && updates.hasRank() &&
      !TensorType(updates.dtype(), indices.dims()).compatibleWith(updates))
    return ctx.error("updates " + updates.str() +
                     " must have the shape of indices " + indices.str());
  ctx.addResult(ctx.operandType(0));
  return success();
}

// scatter_nd(x, indices[..., k], updates): updates has shape
// indices.dims[:-1] + x.dims[k:].
LogicalResult inferScatterNd(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})) ||
      failed(ctx.expectSameDType(0, 2)) || failed(checkReduction(ctx)))
    return failure();
  const TensorType &x = ctx.operandType(0), &indices = ctx.operandType(1);
  if (ctx.operandsRanked()) {
    if (indices.rank() < 1)
      return ctx.error("indices must have rank >= 1");
    const Dim &k = indices.dim(indices.rank() - 1);
    if (k.isStatic()) {
      if (k.size() > x.rank())
        return ctx.error("index depth " + k.str() + " exceeds the rank of " +
                         x.str());
      std::vector<Dim> expected(indices.dims().begin(),
                                indices.dims().end() - 1);
      expected.insert(expected.end(), x.dims().begin() + k.size(),
                      x.dims().end());
      TensorType want(x.dtype(), expected);
      if (!want.compatibleWith(ctx.operandType(2)))
        return ctx.error("updates " + ctx.operandType(2).str() +
                         " must have shape " + want.str());
    }
  }
  ctx.addResult(x);
  return success();
}

// topk(x, k) -> (values, indices) along `axis`.
LogicalResult inferTopK(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kNumericTypes)) ||
      failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  const TensorType &x = ctx.operandType(0), &k = ctx.operandType(1);
  if (k.hasRank() && !(k.rank() == 0 || (k.rank() == 1 && k.dim(0) == Dim(1))))
    return ctx.error("k must be a scalar or a 1-element tensor, got " +
                     k.str());
  if (!x.hasRank()) {
    ctx.addResult(x);
    ctx.addResult(x.withDType(DType::I64));
    return success();
  }
  int64_t axis;
  if (x.rank() == 0)
    return ctx.error("cannot take top-k of a scalar");
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis", -1), x.rank(), axis)))
    return failure();
  std::vector<Dim> dims = x.dims();
  dims[axis] = Dim::unknown();
  if (std::optional<std::vector<int64_t>> value = ctx.constantInts(1)) {
    int64_t kValue = value->empty() ? -1 : value->front();
    if (kValue < 0 || kValue > kMaxDimSize ||
        (x.dim(axis).isStatic() && kValue > x.dim(axis).size()))
      return ctx.error("k = " + std::to_string(kValue) +
                       " is out of range for axis of " + x.str());
    dims[axis] = Dim(kValue);
  }
  ctx.addResult(TensorType(x.dtype(), dims));
  ctx.addResult(TensorType(DType::I64, dims));
  return success();
}

LogicalResult inferNonZero(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  ctx.addResult(TensorType(DType::I64, {x.hasRank() ? Dim(x.rank())
                                                    : Dim::unknown(),
                                        Dim::unknown()}));
  return success();
}

} // namespace

void registerIndexingOps(OpRegistry &registry) {
  registry.add({"gather", "indexing", 2, 2, {{"axis", AttrKind::Int}},
                inferGather});
  registry.add({"gather_elements", "indexing", 2, 2, {{"axis", AttrKind::Int}},
                inferGatherElements});
  registry.add({"scatter_elements", "indexing", 3, 3,
                {{"axis", AttrKind::Int}, {"reduction", AttrKind::String}},
                inferScatterElements});
  registry.add({"scatter_nd", "indexing", 3, 3,
                {{"reduction", AttrKind::String}}, inferScatterNd});
  registry.add({"topk", "indexing", 2, 2,
                {{"axis", AttrKind::Int},
                 {"largest", AttrKind::Int},
                 {"sorted", AttrKind::Int}},
                inferTopK});
  registry.add({"nonzero", "indexing", 1, 1, {}, inferNonZero});
}

} // namespace dlc
