//===- Shape.cpp - Ops that only move data: reshape, transpose, ... ------===//
//
// Shape operands (reshape's target, slice's bounds, expand's shape) are i64
// tensors. When they are compile-time constants the result shape is exact;
// otherwise only the rank is known and the dims are `?`.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "ops/Support.h"
#include "kernels/DataMovement.h"

#include <algorithm>
#include <memory>
#include <cstdlib>

namespace dlc {
namespace {

using namespace kernels;

/// Requires operand `i` to be a 1-D i64 tensor; sets `length` to its static
/// length or -1.
LogicalResult shapeOperand(InferContext &ctx, size_t i, int64_t &length) {
  const TensorType &type = ctx.operandType(i);
  if (type.dtype() != DType::I64 || (type.hasRank() && type.rank() != 1))
    return ctx.error("operand " + std::to_string(i) +
                     " must be a 1-D i64 tensor, got " + type.str());
  length = type.hasRank() && type.dim(0).isStatic() ? type.dim(0).size() : -1;
  return success();
}

/// The dim that `inferred` must have so that product(known) * inferred ==
/// product(source): their quotient, exact over symbols ([N,12] -> [-1,3,4]
/// infers N; [N,C,4] -> [N,-1] infers 4*C). Sets `mismatch` when static
/// sizes cannot divide.
Dim inferredDim(const std::vector<Dim> &source, const std::vector<Dim> &known,
                bool &mismatch) {
  SymExpr numerator(1), denominator(1);
  for (const Dim &dim : source) {
    if (dim.isUnknown())
      return Dim::unknown();
    numerator = numerator * dim.expr();
  }
  for (const Dim &dim : known) {
    if (dim.isUnknown())
      return Dim::unknown();
    denominator = denominator * dim.expr();
  }
  if (!numerator.valid() || !denominator.valid())
    return Dim::unknown();
  if (numerator.isConstant() && denominator.isConstant()) {
    int64_t n = numerator.constant(), d = denominator.constant();
    if (d == 0 || n % d != 0 || n / d > kMaxDimSize) {
      mismatch = true;
      return Dim::unknown();
    }
    return Dim(n / d);
  }
  if (denominator.isConstant() && denominator.constant() <= 0)
    return Dim::unknown();
  // Only an exact quotient is the answer; a remainder means unknown.
  SymExpr quotient = SymExpr::floorDiv(numerator, denominator);
  if (!(quotient * denominator == numerator))
    return Dim::unknown();
  return Dim::fromExpr(quotient);
}

LogicalResult inferReshape(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  int64_t length;
  if (failed(shapeOperand(ctx, 1, length)))
    return failure();
  std::optional<std::vector<int64_t>> target = ctx.constantInts(1);
  if (!target) {
    ctx.addResult(length < 0 ? TensorType::unranked(x.dtype())
                             : TensorType(x.dtype(), std::vector<Dim>(length)));
    return success();
  }
  bool allowZero = ctx.intAttr("allowzero");
  std::vector<Dim> dims, known;
  int inferredAt = -1;
  for (size_t i = 0; i < target->size(); ++i) {
    int64_t value = (*target)[i];
    if (value == -1) {
      if (inferredAt >= 0)
        return ctx.error("shape has more than one -1");
      inferredAt = static_cast<int>(i);
      dims.push_back(Dim::unknown());
      continue;
    }
    if (value == 0 && !allowZero) {
      if (!x.hasRank()) { // copies a dim known at run time
        dims.push_back(Dim::unknown());
        known.push_back(dims.back());
        continue;
      }
      if (static_cast<int64_t>(i) >= x.rank())
        return ctx.error("shape copies dim " + std::to_string(i) +
                         " (0) that the input " + x.str() + " does not have");
      dims.push_back(x.dim(i));
    } else if (value < 0 || value > kMaxDimSize) {
      return ctx.error("shape value " + std::to_string(value) +
                       " is out of range");
    } else {
      dims.push_back(Dim(value));
    }
    known.push_back(dims.back());
  }
  bool mismatch = false;
  if (inferredAt >= 0 && x.hasRank())
    dims[inferredAt] = inferredDim(x.dims(), known, mismatch);
  TensorType result(x.dtype(), dims);
  if (!mismatch && x.isStatic() && result.isStatic())
    mismatch = x.numElements() != result.numElements();
  if (mismatch)
    return ctx.error("cannot reshape " + x.str() + " to " + result.str());
  ctx.addResult(result);
  return success();
}

LogicalResult inferTranspose(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  const std::vector<int64_t> *perm = ctx.intsAttr("perm");
  if (!x.hasRank()) {
    ctx.addResult(perm ? TensorType(x.dtype(), std::vector<Dim>(perm->size()))
                       : x);
    return success();
  }
  std::vector<int64_t> order;
  if (perm) {
    order = *perm;
  } else {
    for (int64_t i = x.rank() - 1; i >= 0; --i)
      order.push_back(i);
  }
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < static_cast<int64_t>(sorted.size()); ++i)
    if (sorted[i] != i || static_cast<int64_t>(sorted.size()) != x.rank())
      return ctx.error("attribute 'perm' is not a permutation of the " +
                       std::to_string(x.rank()) + " dims of " + x.str());
  std::vector<Dim> dims;
  for (int64_t axis : order)
    dims.push_back(x.dim(axis));
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

LogicalResult inferConcat(InferContext &ctx) {
  for (size_t i = 1; i < ctx.numOperands(); ++i)
    if (failed(ctx.expectSameDType(0, i)))
      return failure();
  DType dtype = ctx.operandType(0).dtype();
  if (ctx.unrankedResults({dtype}))
    return success();
  int64_t rank = ctx.operandType(0).rank(), axis;
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), rank, axis)))
    return failure();
  if (rank == 0)
    return ctx.error("cannot concatenate scalars");
  std::vector<Dim> dims = ctx.operandType(0).dims();
  SymExpr total(0);
  for (size_t i = 0; i < ctx.numOperands(); ++i) {
    const TensorType &type = ctx.operandType(i);
    if (type.rank() != rank)
      return ctx.error("operands must have equal ranks, got " +
                       ctx.operandType(0).str() + " and " + type.str());
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis)
        continue;
      if (!dims[d].compatibleWith(type.dim(d)) && dims[d].isStatic() &&
          type.dim(d).isStatic())
        return ctx.error("operand shapes differ outside the axis: " +
                         ctx.operandType(0).str() + " and " + type.str());
      // Take the most precise: static over symbolic over unknown.
      if (!dims[d].isStatic() && !type.dim(d).isUnknown() &&
          (dims[d].isUnknown() || type.dim(d).isStatic()))
        dims[d] = type.dim(d);
    }
    total = total + type.dim(axis).expr();
  }
  if (total.isConstant() && total.constant() > kMaxDimSize)
    return ctx.error("result dim is too large");
  dims[axis] = Dim::fromExpr(total);
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

/// sliceLength over a symbolic size, for a positive step: bounds are
/// clamped with min/max, which the bounds of the size often decide (an end
/// of INT64_MAX clamps to the size itself).
Dim symbolicSliceLength(const SymExpr &size, int64_t start, int64_t end,
                        int64_t step) {
  auto clamp = [&](int64_t v) {
    return v < 0 ? SymExpr::max(size + SymExpr(v), SymExpr(0))
                 : SymExpr::min(SymExpr(v), size);
  };
  SymExpr length = SymExpr::max(clamp(end) - clamp(start), SymExpr(0));
  return Dim::fromExpr(SymExpr::ceilDiv(length, SymExpr(step)));
}

// slice(x, starts, ends, [axes], [steps]) with ONNX semantics.
LogicalResult inferSlice(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  int64_t count = -1;
  for (size_t i = 1; i < ctx.numOperands(); ++i) {
    int64_t length;
    if (failed(shapeOperand(ctx, i, length)))
      return failure();
    if (length >= 0 && count >= 0 && length != count)
      return ctx.error("starts, ends, axes and steps must have equal lengths");
    if (length >= 0)
      count = length;
  }
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  std::optional<std::vector<int64_t>> starts = ctx.constantInts(1),
                                      ends = ctx.constantInts(2);
  std::optional<std::vector<int64_t>> axes, steps;
  if (ctx.numOperands() > 3)
    axes = ctx.constantInts(3);
  if (ctx.numOperands() > 4)
    steps = ctx.constantInts(4);
  bool axesKnown = ctx.numOperands() <= 3 || axes.has_value();
  if (!axesKnown) {
    ctx.addResult(TensorType(x.dtype(), std::vector<Dim>(x.rank())));
    return success();
  }
  if (!axes) {
    axes.emplace();
    for (int64_t i = 0; i < count; ++i)
      axes->push_back(i);
  }
  std::vector<Dim> dims = x.dims();
  bool boundsKnown = starts && ends && (ctx.numOperands() <= 4 || steps);
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t axis;
    if (failed(ctx.normalizeAxis((*axes)[i], x.rank(), axis)))
      return failure();
    int64_t step = boundsKnown && steps ? (*steps)[i] : 1;
    if (step == 0)
      return ctx.error("slice step must not be 0");
    if (boundsKnown && x.dim(axis).isSymbolic() && step > 0) {
      dims[axis] = symbolicSliceLength(x.dim(axis).expr(), (*starts)[i],
                                       (*ends)[i], step);
      continue;
    }
    if (!boundsKnown || !x.dim(axis).isStatic()) {
      dims[axis] = Dim::unknown();
      continue;
    }
    dims[axis] = Dim(dlrt::ops::sliceLength(x.dim(axis).size(), (*starts)[i], (*ends)[i],
                                 step));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

/// How many axes operand 1 holds when its values arrive at run time: its
/// static length, if it is a vector of one.
std::optional<int64_t> runtimeAxesCount(InferContext &ctx) {
  if (ctx.numOperands() < 2)
    return std::nullopt;
  const TensorType &axes = ctx.operandType(1);
  if (!axes.hasRank() || axes.rank() != 1 || !axes.dim(0).isStatic())
    return std::nullopt;
  return axes.dim(0).size();
}

/// The result of squeezing or unsqueezing `x` by axes that arrive at run
/// time: rank `x`'s +- their count if both are known, sizes unknown.
TensorType runtimeAxesResult(InferContext &ctx, const TensorType &x, int64_t sign) {
  std::optional<int64_t> count = runtimeAxesCount(ctx);
  if (!x.hasRank() || !count || x.rank() + sign * *count < 0)
    return TensorType::unranked(x.dtype());
  return TensorType(x.dtype(), std::vector<Dim>(x.rank() + sign * *count));
}

LogicalResult inferSqueeze(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> given = ctx.axesAttrOrOperand(1, dynamic);
  if (!x.hasRank() || dynamic) {
    ctx.addResult(dynamic ? runtimeAxesResult(ctx, x, -1) : TensorType::unranked(x.dtype()));
    return success();
  }
  std::vector<int64_t> axes;
  if (given) {
    if (failed(ctx.normalizeAxes(*given, x.rank(), "axes", axes)))
      return failure();
    for (int64_t axis : axes)
      if (x.dim(axis).isStatic() && x.dim(axis).size() != 1)
        return ctx.error("cannot squeeze dim " + std::to_string(axis) +
                         " of " + x.str());
  } else {
    for (int64_t i = 0; i < x.rank(); ++i) {
      if (!x.dim(i).isStatic())
        return ctx.error("squeeze without 'axes' needs static dims, got " +
                         x.str());
      if (x.dim(i).size() == 1)
        axes.push_back(i);
    }
  }
  std::vector<Dim> dims;
  for (int64_t i = 0; i < x.rank(); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end())
      dims.push_back(x.dim(i));
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

LogicalResult inferUnsqueeze(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  bool dynamic;
  std::optional<std::vector<int64_t>> axesGiven = ctx.axesAttrOrOperand(1, dynamic);
  if (!axesGiven && !dynamic)
    return ctx.error("needs axes (attribute or operand 1)");
  if (!x.hasRank() || dynamic) {
    ctx.addResult(runtimeAxesResult(ctx, x, +1));
    return success();
  }
  const std::vector<int64_t> &given = *axesGiven;
  int64_t rank = x.rank() + static_cast<int64_t>(given.size());
  std::vector<int64_t> axes;
  if (failed(ctx.normalizeAxes(given, rank, "axes", axes)))
    return failure();
  std::vector<Dim> dims;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (std::binary_search(axes.begin(), axes.end(), i))
      dims.push_back(Dim(1));
    else
      dims.push_back(x.dim(next++));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

/// Product of dims [begin, end), static if all are.
Dim productDim(const TensorType &x, int64_t begin, int64_t end) {
  Dim product(1);
  for (int64_t i = begin; i < end; ++i)
    product = product * x.dim(i);
  return product;
}

LogicalResult inferFlatten(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  if (!x.hasRank()) {
    ctx.addResult(TensorType(x.dtype(), {Dim::unknown(), Dim::unknown()}));
    return success();
  }
  int64_t axis = ctx.intAttr("axis");
  if (axis < -x.rank() || axis > x.rank())
    return ctx.error("axis " + std::to_string(axis) +
                     " is out of range for rank " + std::to_string(x.rank()));
  if (axis < 0)
    axis += x.rank();
  ctx.addResult(TensorType(
      x.dtype(), {productDim(x, 0, axis), productDim(x, axis, x.rank())}));
  return success();
}

// expand(x, shape): broadcast x to the shape (numpy rules, both directions).
LogicalResult inferExpand(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  int64_t length;
  if (failed(shapeOperand(ctx, 1, length)))
    return failure();
  std::optional<std::vector<int64_t>> shape = ctx.constantInts(1);
  if (!x.hasRank() || !shape) {
    int64_t rank = x.hasRank() && length >= 0 ? std::max(x.rank(), length) : -1;
    ctx.addResult(rank < 0 ? TensorType::unranked(x.dtype())
                           : TensorType(x.dtype(), std::vector<Dim>(rank)));
    return success();
  }
  std::vector<Dim> target;
  for (int64_t value : *shape) {
    if (value < 0 || value > kMaxDimSize)
      return ctx.error("shape value " + std::to_string(value) +
                       " is out of range");
    target.push_back(Dim(value));
  }
  std::optional<std::vector<Dim>> dims = broadcastDims(x.dims(), target);
  if (!dims)
    return ctx.error("cannot expand " + x.str() + " to " +
                     TensorType(x.dtype(), target).str());
  ctx.addResult(TensorType(x.dtype(), std::move(*dims)));
  return success();
}

// tile(x, repeats): x repeated repeats[d] times along each dim d.
LogicalResult inferTile(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  int64_t length;
  if (failed(shapeOperand(ctx, 1, length)))
    return failure();
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  if (length >= 0 && length != x.rank())
    return ctx.error("repeats has " + std::to_string(length) +
                     " values for rank " + std::to_string(x.rank()));
  std::optional<std::vector<int64_t>> repeats = ctx.constantInts(1);
  std::vector<Dim> dims;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (!repeats || !x.dim(d).isStatic()) {
      bool valid = repeats && (*repeats)[d] >= 0 && (*repeats)[d] <= kMaxDimSize;
      dims.push_back(valid ? x.dim(d) * Dim((*repeats)[d]) : Dim::unknown());
      continue;
    }
    int64_t r = (*repeats)[d];
    if (r < 0 || (r > 0 && x.dim(d).size() > kMaxDimSize / r))
      return ctx.error("repeat " + std::to_string(r) + " is out of range");
    dims.push_back(Dim(x.dim(d).size() * r));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

// pad(x, pads, [value]): pads = begins then ends per dim (negative crops);
// mode "constant" (value, default 0), "edge" or "reflect".
LogicalResult inferPad(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  int64_t length;
  if (failed(shapeOperand(ctx, 1, length)))
    return failure();
  if (ctx.numOperands() == 3 && failed(ctx.expectSameDType(0, 2)))
    return failure();
  std::string mode = ctx.stringAttr("mode");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return ctx.error("mode must be constant, edge or reflect, got \"" + mode + "\"");
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  if (length >= 0 && length != 2 * x.rank())
    return ctx.error("pads has " + std::to_string(length) + " values, rank " +
                     std::to_string(x.rank()) + " needs " +
                     std::to_string(2 * x.rank()));
  std::optional<std::vector<int64_t>> pads = ctx.constantInts(1);
  std::vector<Dim> dims;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (!pads || !x.dim(d).isStatic()) {
      bool valid = pads && std::abs((*pads)[d]) <= kMaxDimSize &&
                   std::abs((*pads)[d + x.rank()]) <= kMaxDimSize;
      dims.push_back(valid ? Dim::fromExpr(x.dim(d).expr() +
                                           SymExpr((*pads)[d] + (*pads)[d + x.rank()]))
                           : Dim::unknown());
      continue;
    }
    int64_t begin = (*pads)[d], end = (*pads)[d + x.rank()];
    if (std::abs(begin) > kMaxDimSize || std::abs(end) > kMaxDimSize)
      return ctx.error("pad out of range");
    int64_t size = x.dim(d).size() + begin + end;
    if (size < 0 || size > kMaxDimSize)
      return ctx.error("padding gives dim " + std::to_string(d) + " size " +
                       std::to_string(size));
    dims.push_back(Dim(size));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

LogicalResult inferShape(InferContext &ctx) {
  const TensorType &x = ctx.operandType(0);
  ctx.addResult(TensorType(DType::I64, {x.hasRank() ? Dim(x.rank())
                                                    : Dim::unknown()}));
  return success();
}

using dlrt::ops::LoweredOp;

/// The axes attribute, if any, for squeeze and unsqueeze.
LogicalResult lowerAxes(const InferContext &ctx, LoweredOp &op, std::string_view entry) {
  dlrt::ops::AxesParams params;
  if (const std::vector<int64_t> *axes = ctx.intsAttr("axes")) {
    params.hasAxes = true;
    params.axes = *axes;
  }
  return lowerTo(op, entry, params);
}

} // namespace

void registerShapeOps(OpRegistry &registry) {
#define DLC_LOWER(entry) [](const InferContext &, LoweredOp &o) { return lowerTo(o, entry); }
  registry.add({"reshape", "shape", 2, 2, {{"allowzero", AttrKind::Int, false, 0}},
                inferReshape, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "reshape", dlrt::ops::ReshapeParams{c.intAttr("allowzero") != 0});
                }});
  registry.add({"transpose", "shape", 1, 1, {{"perm", AttrKind::Ints}},
                inferTranspose, [](const InferContext &c, LoweredOp &o) {
                  const std::vector<int64_t> *perm = c.intsAttr("perm");
                  return lowerTo(o, "transpose",
                                 dlrt::ops::PermParams{perm != nullptr,
                                                       perm ? *perm : std::vector<int64_t>()});
                }});
  registry.add({"concat", "shape", 1, kVariadic,
                {{"axis", AttrKind::Int, true}}, inferConcat,
                [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "concat", dlrt::ops::AxisParams{c.intAttr("axis")});
                }});
  registry.add({"slice", "shape", 3, 5, {}, inferSlice, DLC_LOWER("slice")});
  registry.add({"squeeze", "shape", 1, 2, {{"axes", AttrKind::Ints}},
                inferSqueeze,
                [](const InferContext &c, LoweredOp &o) { return lowerAxes(c, o, "squeeze"); }});
  registry.add({"unsqueeze", "shape", 1, 2, {{"axes", AttrKind::Ints}},
                inferUnsqueeze,
                [](const InferContext &c, LoweredOp &o) { return lowerAxes(c, o, "unsqueeze"); }});
  registry.add({"flatten", "shape", 1, 1, {{"axis", AttrKind::Int, false, 1}},
                inferFlatten, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "flatten", dlrt::ops::AxisParams{c.intAttr("axis")});
                }});
  registry.add({"expand", "shape", 2, 2, {}, inferExpand, DLC_LOWER("expand")});
  registry.add({"shape", "shape", 1, 1, {}, inferShape, DLC_LOWER("shape")});
  registry.add({"tile", "shape", 2, 2, {}, inferTile, DLC_LOWER("tile")});
  registry.add({"pad", "shape", 2, 3, {{"mode", AttrKind::String, false, "constant"}}, inferPad,
                [](const InferContext &c, LoweredOp &o) {
                  std::string mode = c.stringAttr("mode");
                  dlrt::kernels::PadParams params;
                  params.mode = mode == "edge"      ? dlrt::kernels::PadMode::Edge
                                : mode == "reflect" ? dlrt::kernels::PadMode::Reflect
                                                    : dlrt::kernels::PadMode::Constant;
                  return lowerTo(o, "pad", params);
                }});
#undef DLC_LOWER
}

} // namespace dlc
