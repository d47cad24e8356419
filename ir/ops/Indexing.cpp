//===- Indexing.cpp - gather, scatter, topk, nonzero ---------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
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

dlrt::kernels::ScatterReduction scatterReduction(const InferContext &ctx) {
  using dlrt::kernels::ScatterReduction;
  std::string reduction = ctx.stringAttr("reduction");
  return reduction == "add"   ? ScatterReduction::Add
         : reduction == "mul" ? ScatterReduction::Mul
         : reduction == "max" ? ScatterReduction::Max
         : reduction == "min" ? ScatterReduction::Min
                              : ScatterReduction::None;
}

// gather_nd(data, indices[..., k]) with `batch_dims` leading dims shared:
// result = indices.dims[:-1] + data.dims[batch_dims + k:].
LogicalResult inferGatherNd(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  const TensorType &data = ctx.operandType(0), &indices = ctx.operandType(1);
  int64_t batch = ctx.intAttr("batch_dims");
  if (ctx.operandsRanked() && indices.rank() < 1)
    return ctx.error("indices " + indices.str() + " must have rank 1 or more");
  if (!ctx.operandsRanked() || !indices.dim(indices.rank() - 1).isStatic()) {
    ctx.addResult(TensorType::unranked(data.dtype()));
    return success();
  }
  int64_t k = indices.dim(indices.rank() - 1).size();
  if (batch < 0 || batch >= indices.rank() ||
      batch + k > data.rank())
    return ctx.error("indices " + indices.str() + " do not fit data " +
                     data.str() + " with batch_dims " + std::to_string(batch));
  std::vector<Dim> dims(indices.dims().begin(), indices.dims().end() - 1);
  dims.insert(dims.end(), data.dims().begin() + batch + k, data.dims().end());
  ctx.addResult(TensorType(data.dtype(), std::move(dims)));
  return success();
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

// reverse_sequence(x, lens): reverses the first lens[b] entries along
// time_axis for each index b along batch_axis.
LogicalResult inferReverseSequence(InferContext &ctx) {
  if (failed(ctx.expectDType(1, {DType::I64})))
    return failure();
  ctx.addResult(ctx.operandType(0));
  return success();
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
    if (x.rank() == 0)
      return ctx.error("unique along an axis needs rank 1 or more, got " + x.str());
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

using dlrt::ops::LoweredOp;

LogicalResult lowerAxis(const InferContext &ctx, LoweredOp &op, std::string_view entry,
                        std::string_view attr) {
  return lowerTo(op, entry, dlrt::ops::AxisParams{ctx.intAttr(attr)});
}

/// compress and unique: the axis attribute, absent for the flattened input.
LogicalResult lowerOptionalAxis(const InferContext &ctx, LoweredOp &op,
                                std::string_view entry) {
  dlrt::ops::OptionalAxisParams params;
  if (const Attribute *axis = ctx.node().attr("axis")) {
    params.flat = false;
    params.axis = axis->getInt();
  }
  params.sorted = ctx.node().def().attrSpec("sorted") ? ctx.intAttr("sorted") != 0 : true;
  return lowerTo(op, entry, params);
}

} // namespace

void registerIndexingOps(OpRegistry &registry) {
  registry.add({"gather", "indexing", 2, 2, {{"axis", AttrKind::Int, false, 0}},
                inferGather, [](const InferContext &c, LoweredOp &o) { return lowerAxis(c, o, "gather", "axis"); }});
  registry.add({"gather_elements", "indexing", 2, 2, {{"axis", AttrKind::Int, false, 0}},
                inferGatherElements, [](const InferContext &c, LoweredOp &o) {
                  return lowerAxis(c, o, "gather_elements", "axis");
                }});
  registry.add({"scatter_elements", "indexing", 3, 3,
                {{"axis", AttrKind::Int, false, 0}, {"reduction", AttrKind::String, false, "none"}},
                inferScatterElements, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "scatter_elements",
                                 dlrt::ops::ScatterParams{c.intAttr("axis"), scatterReduction(c)});
                }});
  registry.add({"scatter_nd", "indexing", 3, 3,
                {{"reduction", AttrKind::String, false, "none"}}, inferScatterNd,
                [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "scatter_nd", dlrt::ops::ScatterParams{0, scatterReduction(c)});
                }});
  registry.add({"topk", "indexing", 2, 2,
                {{"axis", AttrKind::Int, false, -1},
                 {"largest", AttrKind::Int, false, 1},
                 {"sorted", AttrKind::Int, false, 1}},
                inferTopK, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "topk", dlrt::kernels::TopKParams{c.intAttr("axis"),
                                                                      c.intAttr("largest") != 0});
                }});
  registry.add({"nonzero", "indexing", 1, 1, {}, inferNonZero,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "nonzero"); }});
  registry.add({"gather_nd", "indexing", 2, 2, {{"batch_dims", AttrKind::Int, false, 0}},
                inferGatherNd, [](const InferContext &c, LoweredOp &o) {
                  return lowerAxis(c, o, "gather_nd", "batch_dims");
                }});
  registry.add({"compress", "indexing", 2, 2, {{"axis", AttrKind::Int}},
                inferCompress, [](const InferContext &c, LoweredOp &o) {
                  return lowerOptionalAxis(c, o, "compress");
                }});
  registry.add({"non_max_suppression", "indexing", 2, 5,
                {{"center_point_box", AttrKind::Int, false, 0}}, inferNms,
                [](const InferContext &c, LoweredOp &o) {
                  dlrt::kernels::NmsParams params;
                  params.centerPointBox = c.intAttr("center_point_box") != 0;
                  return lowerTo(o, "non_max_suppression", params);
                }});
  registry.add({"unique", "indexing", 1, 1,
                {{"axis", AttrKind::Int}, {"sorted", AttrKind::Int, false, 1}},
                inferUnique, [](const InferContext &c, LoweredOp &o) {
                  return lowerOptionalAxis(c, o, "unique");
                }});
  registry.add({"reverse_sequence", "indexing", 2, 2,
                {{"batch_axis", AttrKind::Int, false, 1}, {"time_axis", AttrKind::Int, false, 0}},
                inferReverseSequence, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "reverse_sequence",
                                 dlrt::ops::ReverseSequenceParams{c.intAttr("batch_axis"),
                                                                  c.intAttr("time_axis")});
                }});
}

} // namespace dlc
