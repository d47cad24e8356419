//===- Reduction.cpp - Reductions, arg-reductions, softmax ---------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

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

/// Strides, over the input's index space, of the output element each input
/// element reduces into: 0 along `axes`.
Shape reductionStrides(const Shape &in, const std::vector<int64_t> &axes) {
  Shape kept = in;
  for (int64_t axis : axes)
    kept[axis] = 1;
  Shape strides = stridesOf(kept);
  for (int64_t axis : axes)
    strides[axis] = 0;
  return strides;
}

enum class Reduce { Sum, Mean, Max, Min, Prod };

LogicalResult evalReduce(EvalContext &ctx, Reduce kind) {
  const Tensor &x = ctx.input(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> given = ctx.axesAttrOrOperand(1, dynamic);
  if (given && given->empty() && ctx.intAttr("noop_with_empty_axes")) {
    ctx.addOutput(std::make_shared<Tensor>(x));
    return success();
  }
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape in = shapeOf(x);
  std::vector<int64_t> axes;
  if (failed(reductionAxes(ctx, static_cast<int64_t>(in.size()), axes)))
    return failure();
  double init = kind == Reduce::Max ? -INFINITY
                : kind == Reduce::Min ? INFINITY
                : kind == Reduce::Prod ? 1.0 : 0.0;
  std::vector<double> acc(out->numElements(), init);
  Shape strides = reductionStrides(in, axes);
  int64_t linear = 0;
  forEachIndex(in, [&](const Shape &index) {
    double v = x.getDouble(linear++);
    double &a = acc[offsetOf(index, strides)];
    switch (kind) {
    case Reduce::Sum:
    case Reduce::Mean: a += v; break;
    case Reduce::Prod: a *= v; break;
    case Reduce::Max: a = std::isnan(v) ? v : std::max(a, v); break;
    case Reduce::Min: a = std::isnan(v) ? v : std::min(a, v); break;
    }
  });
  int64_t count = out->numElements() ? x.numElements() / out->numElements() : 0;
  for (int64_t i = 0; i < out->numElements(); ++i)
    out->setDouble(i, kind == Reduce::Mean ? acc[i] / count : acc[i]);
  return success();
}

/// Calls fn(base, stride, length) for every 1-D slice of `shape` along `axis`.
template <typename Fn> void forEachSlice(const Shape &shape, int64_t axis, Fn fn) {
  Shape outer = shape;
  outer[axis] = 1;
  Shape strides = stridesOf(shape);
  forEachIndex(outer, [&](const Shape &index) {
    fn(offsetOf(index, strides), strides[axis], shape[axis]);
  });
}

LogicalResult evalArgReduce(EvalContext &ctx, bool isMax) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  int64_t axis = ctx.axisAttr("axis", shape.size());
  bool last = ctx.intAttr("select_last_index");
  int64_t linear = 0;
  forEachSlice(shape, axis, [&](int64_t base, int64_t stride, int64_t length) {
    int64_t best = 0;
    for (int64_t i = 1; i < length; ++i) {
      double v = x.getDouble(base + i * stride);
      double b = x.getDouble(base + best * stride);
      bool better = isMax ? (v > b || (last && v == b))
                          : (v < b || (last && v == b));
      if (better)
        best = i;
    }
    out->setInt(linear++, best);
  });
  return success();
}

LogicalResult evalSoftmax(EvalContext &ctx, bool log) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape shape = shapeOf(x);
  if (shape.empty()) {
    out->setDouble(0, log ? 0.0 : 1.0);
    return success();
  }
  int64_t axis = ctx.axisAttr("axis", shape.size());
  forEachSlice(shape, axis, [&](int64_t base, int64_t stride, int64_t length) {
    double max = -INFINITY;
    for (int64_t i = 0; i < length; ++i)
      max = std::max(max, x.getDouble(base + i * stride));
    double sum = 0;
    for (int64_t i = 0; i < length; ++i)
      sum += std::exp(x.getDouble(base + i * stride) - max);
    for (int64_t i = 0; i < length; ++i) {
      double shifted = x.getDouble(base + i * stride) - max;
      out->setDouble(base + i * stride,
                     log ? shifted - std::log(sum) : std::exp(shifted) / sum);
    }
  });
  return success();
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
  Shape shape = shapeOf(x);
  int64_t axis;
  if (failed(ctx.normalizeAxis(ctx.input(1).getInt(0),
                               static_cast<int64_t>(shape.size()), axis)))
    return failure();
  bool exclusive = ctx.intAttr("exclusive"), reverse = ctx.intAttr("reverse");
  bool useFloat = floatMath(x.dtype());
  forEachSlice(shape, axis, [&](int64_t base, int64_t stride, int64_t length) {
    double sum = 0;
    int64_t isum = 0;
    for (int64_t n = 0; n < length; ++n) {
      int64_t at = base + (reverse ? length - 1 - n : n) * stride;
      if (exclusive) {
        useFloat ? out->setDouble(at, sum) : out->setInt(at, isum);
      }
      sum += x.getDouble(at);
      isum += x.getInt(at);
      if (!exclusive) {
        useFloat ? out->setDouble(at, sum) : out->setInt(at, isum);
      }
    }
  });
  return success();
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
  reduce("reduce_sum", [](EvalContext &c) { return evalReduce(c, Reduce::Sum); });
  reduce("reduce_mean", [](EvalContext &c) { return evalReduce(c, Reduce::Mean); });
  reduce("reduce_max", [](EvalContext &c) { return evalReduce(c, Reduce::Max); });
  reduce("reduce_min", [](EvalContext &c) { return evalReduce(c, Reduce::Min); });
  reduce("reduce_prod", [](EvalContext &c) { return evalReduce(c, Reduce::Prod); });
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
