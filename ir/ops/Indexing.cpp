//===- Indexing.cpp - gather, scatter, topk, nonzero ---------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "kernels/Indexing.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace dlc {
namespace {

using namespace kernels;

LogicalResult inferGather(InferContext &ctx) {
  if (failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0), &indices = ctx.operandType(1);
  if (ctx.unrankedResults({x.dtype()}))
    return success();
  int64_t axis;
  if (x.rank() == 0)
    return ctx.error("cannot gather from a scalar");
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis)))
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
  return ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis);
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
  std::string reduction = ctx.stringAttr("reduction");
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
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank(), axis)))
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

LogicalResult evalGather(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  KernelBuffer x(ctx.input(0)), indices(ctx.input(1)), result(*out);
  int64_t axis = ctx.axisAttr("axis", shapeOf(ctx.input(0)).size());
  return checkStatus(ctx, dlrt::kernels::gather(axis, x.view(), indices.view(), result.view()));
}

LogicalResult evalGatherElements(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  KernelBuffer x(ctx.input(0)), indices(ctx.input(1)), result(*out);
  int64_t axis = ctx.axisAttr("axis", shapeOf(ctx.input(0)).size());
  return checkStatus(ctx, dlrt::kernels::gatherElements(axis, x.view(), indices.view(),
                                                        result.view()));
}

dlrt::kernels::ScatterReduction scatterReduction(const EvalContext &ctx) {
  using dlrt::kernels::ScatterReduction;
  std::string reduction = ctx.stringAttr("reduction");
  return reduction == "add"   ? ScatterReduction::Add
         : reduction == "mul" ? ScatterReduction::Mul
         : reduction == "max" ? ScatterReduction::Max
         : reduction == "min" ? ScatterReduction::Min
                              : ScatterReduction::None;
}

LogicalResult evalScatterElements(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  KernelBuffer x(ctx.input(0)), indices(ctx.input(1)), updates(ctx.input(2)),
      result(*out);
  int64_t axis = ctx.axisAttr("axis", shapeOf(ctx.input(0)).size());
  return checkStatus(ctx, dlrt::kernels::scatterElements(axis, scatterReduction(ctx),
                                                         x.view(), indices.view(),
                                                         updates.view(), result.view()));
}

LogicalResult evalScatterNd(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  KernelBuffer x(ctx.input(0)), indices(ctx.input(1)), updates(ctx.input(2)),
      result(*out);
  return checkStatus(ctx, dlrt::kernels::scatterNd(scatterReduction(ctx), x.view(),
                                                   indices.view(), updates.view(),
                                                   result.view()));
}

LogicalResult evalTopK(EvalContext &ctx) {
  Tensor *values = ctx.addInferredOutput();
  Tensor *indices = values ? ctx.addInferredOutput() : nullptr;
  if (!indices)
    return failure();
  dlrt::kernels::TopKParams params{ctx.axisAttr("axis", shapeOf(ctx.input(0)).size()),
                                   ctx.intAttr("largest") != 0};
  KernelBuffer x(ctx.input(0)), top(*values), where(*indices);
  return checkStatus(ctx, dlrt::kernels::topk(params, x.view(), top.view(), where.view()));
}

LogicalResult evalNonZero(EvalContext &ctx) {
  // Count, then fill: the output size depends on the data.
  KernelBuffer x(ctx.input(0));
  int64_t count = dlrt::kernels::countNonZero(x.view());
  Tensor *out = ctx.addOutput(
      typeOf(DType::I64, {static_cast<int64_t>(shapeOf(ctx.input(0)).size()), count}));
  if (!out)
    return failure();
  KernelBuffer result(*out);
  return checkStatus(ctx, dlrt::kernels::nonzero(x.view(), result.view()));
}

// gather_nd(data, indices[..., k]) with `batch_dims` leading dims shared:
// result = indices.dims[:-1] + data.dims[batch_dims + k:].
LogicalResult inferGatherNd(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  const TensorType &data = ctx.operandType(0), &indices = ctx.operandType(1);
  int64_t batch = ctx.intAttr("batch_dims");
  if (!ctx.operandsRanked() || !indices.dim(indices.rank() - 1).isStatic()) {
    ctx.addResult(TensorType::unranked(data.dtype()));
    return success();
  }
  int64_t k = indices.dim(indices.rank() - 1).size();
  if (indices.rank() < 1 || batch < 0 || batch >= indices.rank() ||
      batch + k > data.rank())
    return ctx.error("indices " + indices.str() + " do not fit data " +
                     data.str() + " with batch_dims " + std::to_string(batch));
  std::vector<Dim> dims(indices.dims().begin(), indices.dims().end() - 1);
  dims.insert(dims.end(), data.dims().begin() + batch + k, data.dims().end());
  ctx.addResult(TensorType(data.dtype(), std::move(dims)));
  return success();
}

LogicalResult evalGatherNd(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  KernelBuffer x(ctx.input(0)), indices(ctx.input(1)), result(*out);
  return checkStatus(ctx, dlrt::kernels::gatherNd(ctx.intAttr("batch_dims"), x.view(),
                                                  indices.view(), result.view()));
}

// compress(x, condition): keeps the slices along `axis` (or the elements of
// the flattened x) whose condition is true.
LogicalResult inferCompress(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::Bool})))
    return failure();
  const TensorType &x = ctx.operandType(0);
  const Attribute *axisAttr = ctx.node().attr("axis");
  if (!axisAttr || !x.hasRank()) {
    ctx.addResult(axisAttr ? TensorType::unranked(x.dtype())
                           : TensorType(x.dtype(), {Dim::unknown()}));
    return success();
  }
  int64_t axis;
  if (failed(ctx.normalizeAxis(axisAttr->getInt(), x.rank(), axis)))
    return failure();
  std::vector<Dim> dims = x.dims();
  dims[axis] = Dim::unknown();
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

LogicalResult evalCompress(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Shape xs = shapeOf(x);
  bool flat = !ctx.node().attr("axis");
  int64_t axis = flat ? 0 : ctx.axisAttr("axis", xs.size());
  if (flat)
    xs = {x.numElements()};
  // Count, then fill: the output size depends on the condition's values.
  KernelBuffer in(x), condition(ctx.input(1));
  xs[axis] = dlrt::kernels::countCompressed(xs[axis], condition.view());
  Tensor *out = ctx.addOutput(typeOf(x.dtype(), xs));
  if (!out)
    return failure();
  KernelBuffer result(*out);
  return checkStatus(ctx, dlrt::kernels::compress(axis, flat, in.view(), condition.view(),
                                                  result.view()));
}

// non_max_suppression(boxes[B,N,4], scores[B,C,N], [max_per_class],
// [iou_threshold], [score_threshold]) -> i64[K,3] of (batch, class, box):
// per batch and class, greedily keep the best-scoring boxes whose overlap
// (IoU) with every kept box is at most the threshold.
LogicalResult inferNms(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)) || failed(ctx.expectSameDType(0, 1)))
    return failure();
  const TensorType &boxes = ctx.operandType(0), &scores = ctx.operandType(1);
  if (boxes.hasRank() && (boxes.rank() != 3 || !boxes.dim(2).compatibleWith(Dim(4))))
    return ctx.error("boxes must be [batches, boxes, 4], got " + boxes.str());
  if (scores.hasRank() && scores.rank() != 3)
    return ctx.error("scores must be [batches, classes, boxes], got " + scores.str());
  ctx.addResult(TensorType(DType::I64, {Dim::unknown(), Dim(3)}));
  return success();
}

LogicalResult evalNms(EvalContext &ctx) {
  const Tensor &boxes = ctx.input(0), &scores = ctx.input(1);
  Shape bs = shapeOf(boxes), ss = shapeOf(scores);
  if (ss[0] != bs[0] || ss[2] != bs[1])
    return ctx.error("boxes " + boxes.type().str() + " and scores " +
                     scores.type().str() + " disagree");
  dlrt::kernels::NmsParams params;
  params.maxPerClass = ctx.numOperands() > 2 ? ctx.input(2).getInt(0) : 0;
  params.iouThreshold = ctx.numOperands() > 3 ? ctx.input(3).getDouble(0) : 0.0;
  params.hasScoreThreshold = ctx.numOperands() > 4;
  params.scoreThreshold = params.hasScoreThreshold ? ctx.input(4).getDouble(0) : 0.0;
  params.centerPointBox = ctx.intAttr("center_point_box") != 0;
  // Count, then fill.
  KernelBuffer boxView(boxes), scoreView(scores);
  int64_t count = dlrt::kernels::countNms(params, boxView.view(), scoreView.view());
  Tensor *out = ctx.addOutput(typeOf(DType::I64, {count, 3}));
  if (!out)
    return failure();
  KernelBuffer result(*out);
  return checkStatus(ctx, dlrt::kernels::nms(params, boxView.view(), scoreView.view(),
                                             result.view()));
}

// reverse_sequence(x, lens): reverses the first lens[b] entries along
// time_axis for each index b along batch_axis.
LogicalResult inferReverseSequence(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
}

LogicalResult evalReverseSequence(EvalContext &ctx) {
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  size_t rank = shapeOf(ctx.input(0)).size();
  KernelBuffer x(ctx.input(0)), lengths(ctx.input(1)), result(*out);
  return checkStatus(ctx, dlrt::kernels::reverseSequence(
                              ctx.axisAttr("batch_axis", rank), ctx.axisAttr("time_axis", rank),
                              x.view(), lengths.view(), result.view()));
}

// unique(x) -> (y, indices, inverse_indices, counts): the distinct
// elements of flattened x (or the distinct slices along `axis`), sorted
// ascending or in order of first occurrence; indices of first occurrences,
// the position in y of every element/slice of x, and multiplicities.
LogicalResult inferUnique(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  const Attribute *axisAttr = ctx.node().attr("axis");
  if (axisAttr && x.hasRank()) {
    int64_t axis;
    if (failed(ctx.normalizeAxis(axisAttr->getInt(), x.rank(), axis)))
      return failure();
    std::vector<Dim> dims = x.dims();
    dims[axis] = Dim::unknown();
    ctx.addResult(TensorType(x.dtype(), dims));
    ctx.addResult(TensorType(DType::I64, {Dim::unknown()}));
    ctx.addResult(TensorType(DType::I64, {x.dim(axis)}));
  } else {
    ctx.addResult(axisAttr ? TensorType::unranked(x.dtype())
                           : TensorType(x.dtype(), {Dim::unknown()}));
    ctx.addResult(TensorType(DType::I64, {Dim::unknown()}));
    ctx.addResult(TensorType(DType::I64, {Dim::unknown()}));
  }
  ctx.addResult(TensorType(DType::I64, {Dim::unknown()}));
  return success();
}

LogicalResult evalUnique(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  bool flat = !ctx.node().attr("axis");
  Shape xs = flat ? Shape{x.numElements()} : shapeOf(x);
  int64_t axis = flat ? 0 : ctx.axisAttr("axis", xs.size());
  int64_t count = xs[axis];
  // Count, then fill: the number of distinct slices depends on the data.
  KernelBuffer in(x);
  int64_t distinct = dlrt::kernels::countUnique(axis, flat, in.view());
  Shape ys = xs;
  ys[axis] = distinct;
  Tensor *y = ctx.addOutput(typeOf(x.dtype(), ys));
  Tensor *indices = y ? ctx.addOutput(typeOf(DType::I64, {distinct})) : nullptr;
  Tensor *inverse = indices ? ctx.addOutput(typeOf(DType::I64, {count})) : nullptr;
  Tensor *counts = inverse ? ctx.addOutput(typeOf(DType::I64, {distinct})) : nullptr;
  if (!counts)
    return failure();
  KernelBuffer yView(*y), indexView(*indices), inverseView(*inverse), countView(*counts);
  return checkStatus(ctx, dlrt::kernels::unique(axis, flat, ctx.intAttr("sorted") != 0,
                                                in.view(), yView.view(), indexView.view(),
                                                inverseView.view(), countView.view()));
}

} // namespace

void registerIndexingOps(OpRegistry &registry) {
  registry.add({"gather", "indexing", 2, 2, {{"axis", AttrKind::Int, false, 0}},
                inferGather, evalGather});
  registry.add({"gather_elements", "indexing", 2, 2, {{"axis", AttrKind::Int, false, 0}},
                inferGatherElements, evalGatherElements});
  registry.add({"scatter_elements", "indexing", 3, 3,
                {{"axis", AttrKind::Int, false, 0}, {"reduction", AttrKind::String, false, "none"}},
                inferScatterElements, evalScatterElements});
  registry.add({"scatter_nd", "indexing", 3, 3,
                {{"reduction", AttrKind::String, false, "none"}}, inferScatterNd,
                evalScatterNd});
  registry.add({"topk", "indexing", 2, 2,
                {{"axis", AttrKind::Int, false, -1},
                 {"largest", AttrKind::Int, false, 1},
                 {"sorted", AttrKind::Int, false, 1}},
                inferTopK, evalTopK});
  registry.add({"nonzero", "indexing", 1, 1, {}, inferNonZero, evalNonZero});
  registry.add({"gather_nd", "indexing", 2, 2, {{"batch_dims", AttrKind::Int, false, 0}},
                inferGatherNd, evalGatherNd});
  registry.add({"compress", "indexing", 2, 2, {{"axis", AttrKind::Int}},
                inferCompress, evalCompress});
  registry.add({"non_max_suppression", "indexing", 2, 5,
                {{"center_point_box", AttrKind::Int, false, 0}}, inferNms, evalNms});
  registry.add({"unique", "indexing", 1, 1,
                {{"axis", AttrKind::Int}, {"sorted", AttrKind::Int, false, 1}},
                inferUnique, evalUnique});
  registry.add({"reverse_sequence", "indexing", 2, 2,
                {{"batch_axis", AttrKind::Int, false, 1}, {"time_axis", AttrKind::Int, false, 0}},
                inferReverseSequence, evalReverseSequence});
}

} // namespace dlc
