//===- Shape.cpp - Entry points of the shape and data movement ops --------===//
//
// reshape, squeeze, unsqueeze and flatten keep the bytes and change the
// dims; slice, expand, tile, pad and reshape size their results from
// operand values (count, then fill), so they also run as host steps when
// those values are computed.
//
//===----------------------------------------------------------------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/DataMovement.h"

#include <algorithm>

namespace dlrt::ops {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

Status runCopy(const OpArgs &args) {
  if (args.operand(0).numElements() != args.result(0).numElements())
    return Status::error("the result does not have the input's element count");
  copyBuffer(args.operand(0), args.result(0));
  return Status::ok();
}

Status reshapeDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<ReshapeParams>(args, "reshape", [&](const ReshapeParams &p) {
    const BufferView &x = args.operand(0);
    Dims target;
    Status status = readInts(args.operand(1), target, "reshape's shape");
    if (!status.isOk())
      return status;
    int64_t known = 1, inferredAt = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t &value = target[i];
      if (value == -1) {
        if (inferredAt >= 0)
          return Status::error("shape has more than one -1");
        inferredAt = static_cast<int64_t>(i);
        continue;
      }
      if (value == 0 && !p.allowZero) {
        if (static_cast<int64_t>(i) >= x.rank)
          return Status::error("shape copies dim " + std::to_string(i) +
                               " that the input does not have");
        value = x.dims[i];
      }
      if (value < 0 || value > kMaxDim)
        return Status::error("shape value " + std::to_string(value) + " is out of range");
      // (saturated past the limit: such a product matches no element count)
      known = value == 0 ? 0 : (known > kMaxDim / value ? kMaxDim + 1 : known * value);
    }
    int64_t count = x.numElements();
    if (inferredAt >= 0) {
      if (known == 0 || count % known != 0)
        return Status::error("cannot reshape " + dimsText(dimsOf(x)) + " to " +
                             dimsText(target));
      target[inferredAt] = count / known;
    } else if (known != count) {
      return Status::error("cannot reshape " + dimsText(dimsOf(x)) + " to " +
                           dimsText(target));
    }
    dims = {target};
    return Status::ok();
  });
}

/// squeeze and unsqueeze: the axes attribute, else operand 1.
Status givenAxes(const OpArgs &args, const char *op, bool &given, Dims &axes) {
  return withParams<AxesParams>(args, op, [&](const AxesParams &p) {
    given = p.hasAxes;
    axes = p.axes;
    if (!given && args.numOperands > 1) {
      given = true;
      return readInts(args.operand(1), axes, "axes");
    }
    return Status::ok();
  });
}

Status squeezeDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  bool given = false;
  Dims axes, normalized;
  Status status = givenAxes(args, "squeeze", given, axes);
  if (status.isOk() && given)
    status = normalizeAxes(axes, x.rank, normalized);
  if (!status.isOk())
    return status;
  Dims out;
  for (int64_t d = 0; d < x.rank; ++d) {
    bool listed = std::find(normalized.begin(), normalized.end(), d) != normalized.end();
    if (listed && x.dims[d] != 1)
      return Status::error("cannot squeeze dim " + std::to_string(d) + " of size " +
                           std::to_string(x.dims[d]));
    if (!(given ? listed : x.dims[d] == 1))
      out.push_back(x.dims[d]);
  }
  dims = {out};
  return Status::ok();
}

Status unsqueezeDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  bool given = false;
  Dims axes, normalized;
  Status status = givenAxes(args, "unsqueeze", given, axes);
  if (status.isOk() && !given)
    status = Status::error("unsqueeze needs axes");
  int64_t rank = x.rank + static_cast<int64_t>(axes.size());
  if (status.isOk())
    status = normalizeAxes(axes, rank, normalized);
  if (!status.isOk())
    return status;
  Dims out;
  int64_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    out.push_back(std::binary_search(normalized.begin(), normalized.end(), d)
                      ? 1
                      : x.dims[next++]);
  dims = {out};
  return Status::ok();
}

/// transpose's permutation: perm, or the dims reversed.
Dims permOf(const PermParams &p, int64_t rank) {
  Dims perm = p.perm;
  if (!p.hasPerm)
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  return perm;
}

Status runTranspose(const OpArgs &args) {
  return withParams<PermParams>(args, "transpose", [&](const PermParams &p) {
    return kernels::transpose(permOf(p, args.operand(0).rank), args.operand(0), args.result(0));
  });
}

Status flattenDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<AxisParams>(args, "flatten", [&](const AxisParams &p) {
    const BufferView &x = args.operand(0);
    if (p.axis < -x.rank || p.axis > x.rank)
      return Status::error("flatten: axis " + std::to_string(p.axis) +
                           " is out of range for rank " + std::to_string(x.rank));
    int64_t axis = p.axis < 0 ? p.axis + x.rank : p.axis;
    __int128 outer = 1, inner = 1; // (each product saturates past the limit)
    for (int64_t d = 0; d < x.rank; ++d) {
      __int128 &side = d < axis ? outer : inner;
      side = std::min<__int128>(side * x.dims[d], kMaxDim + 1);
    }
    if (outer > kMaxDim || inner > kMaxDim)
      return Status::error("flatten: a result dim is larger than 2^40");
    dims = {{static_cast<int64_t>(outer), static_cast<int64_t>(inner)}};
    return Status::ok();
  });
}

Status transposeDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<PermParams>(args, "transpose", [&](const PermParams &p) {
    const BufferView &x = args.operand(0);
    Dims perm = permOf(p, x.rank), out;
    std::vector<bool> seen(x.rank, false);
    if (static_cast<int64_t>(perm.size()) != x.rank)
      return Status::error("transpose: perm has " + std::to_string(perm.size()) +
                           " entries for rank " + std::to_string(x.rank));
    for (int64_t axis : perm) {
      if (axis < 0 || axis >= x.rank || seen[axis])
        return Status::error("transpose: perm is not a permutation");
      seen[axis] = true;
      out.push_back(x.dims[axis]);
    }
    dims = {out};
    return Status::ok();
  });
}

/// concat: the first input's dims, the axis summed over every input (the
/// kernel checks that the others agree).
Status concatDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<AxisParams>(args, "concat", [&](const AxisParams &p) {
    const BufferView &first = args.operand(0);
    int64_t axis = 0;
    Status status = normalizeAxis(p.axis, first.rank, axis);
    if (!status.isOk())
      return status;
    Dims out = dimsOf(first);
    out[axis] = 0;
    for (size_t i = 0; i < args.numOperands; ++i) {
      const BufferView &x = args.operand(i);
      if (x.rank != first.rank)
        return Status::error("concat: the inputs have ranks " + std::to_string(first.rank) +
                             " and " + std::to_string(x.rank));
      out[axis] += x.dims[axis];
    }
    dims = {out};
    return Status::ok();
  });
}

Status runConcat(const OpArgs &args) {
  return withParams<AxisParams>(args, "concat", [&](const AxisParams &p) {
    int64_t axis = 0;
    Status status = normalizeAxis(p.axis, args.result(0).rank, axis);
    if (!status.isOk())
      return status;
    return kernels::concat(axis, std::vector<BufferView>(args.operands,
                                                         args.operands + args.numOperands),
                           args.result(0));
  });
}

/// Per dim of x: the first index and the step of the slice, and its length.
Status slicePlan(const OpArgs &args, kernels::SliceParams &params, Dims &length) {
  Dims &first = params.first, &step = params.step;
  const BufferView &x = args.operand(0);
  Dims starts, ends, axes, steps;
  Status status = readInts(args.operand(1), starts, "starts");
  if (status.isOk())
    status = readInts(args.operand(2), ends, "ends");
  if (status.isOk() && args.numOperands > 3)
    status = readInts(args.operand(3), axes, "axes");
  if (status.isOk() && args.numOperands > 4)
    status = readInts(args.operand(4), steps, "steps");
  if (!status.isOk())
    return status;
  if (args.numOperands <= 3)
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (args.numOperands <= 4)
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return Status::error("starts, ends, axes and steps must have equal lengths");
  first.assign(x.rank, 0);
  step.assign(x.rank, 1);
  length = dimsOf(x);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = 0;
    status = normalizeAxis(axes[i], x.rank, axis);
    if (!status.isOk())
      return status;
    if (steps[i] == 0)
      return Status::error("slice step must not be 0");
    int64_t size = x.dims[axis];
    first[axis] = sliceStart(size, starts[i], steps[i]);
    step[axis] = steps[i];
    length[axis] = sliceLength(size, starts[i], ends[i], steps[i]);
  }
  return Status::ok();
}

Status runSlice(const OpArgs &args) {
  kernels::SliceParams params;
  Dims length;
  Status status = slicePlan(args, params, length);
  return status.isOk() ? kernels::slice(params, args.operand(0), args.result(0)) : status;
}

Status expandDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  Dims shape;
  Status status = readInts(args.operand(1), shape, "expand's shape");
  if (!status.isOk())
    return status;
  size_t rank = std::max<size_t>(shape.size(), x.rank);
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i + x.rank >= rank ? x.dims[i + x.rank - rank] : 1;
    int64_t b = i + shape.size() >= rank ? shape[i + shape.size() - rank] : 1;
    if (b < 0 || b > kMaxDim || (a != b && a != 1 && b != 1))
      return Status::error("cannot expand " + dimsText(dimsOf(x)) + " to " + dimsText(shape));
    out[i] = a == 1 ? b : a;
  }
  dims = {out};
  return Status::ok();
}

Status runExpand(const OpArgs &args) { return kernels::expand(args.operand(0), args.result(0)); }

Status shapeDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims = {{args.operand(0).rank}};
  return Status::ok();
}

Status runShape(const OpArgs &args) {
  const BufferView &x = args.operand(0);
  if (Status status = expectDims(args.result(0), {x.rank}, "shape", "the result"); !status.isOk())
    return status;
  auto *out = static_cast<int64_t *>(args.result(0).data);
  for (int32_t d = 0; d < x.rank; ++d)
    out[d] = x.dims[d];
  return Status::ok();
}

Status tileDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  Dims repeats;
  Status status = readInts(args.operand(1), repeats, "repeats");
  if (!status.isOk())
    return status;
  if (static_cast<int64_t>(repeats.size()) != x.rank)
    return Status::error("repeats has " + std::to_string(repeats.size()) +
                         " values for rank " + std::to_string(x.rank));
  Dims out;
  for (int64_t d = 0; d < x.rank; ++d) {
    int64_t r = repeats[d];
    if (r < 0 || (r > 0 && x.dims[d] > kMaxDim / r))
      return Status::error("repeat " + std::to_string(r) + " is out of range");
    out.push_back(x.dims[d] * r);
  }
  dims = {out};
  return Status::ok();
}

Status runTile(const OpArgs &args) { return kernels::tile(args.operand(0), args.result(0)); }

Status padsOf(const OpArgs &args, Dims &pads) {
  Status status = readInts(args.operand(1), pads, "pads");
  if (status.isOk() && static_cast<int64_t>(pads.size()) != 2 * args.operand(0).rank)
    status = Status::error("pads has " + std::to_string(pads.size()) + " values, rank " +
                           std::to_string(args.operand(0).rank) + " needs twice as many");
  return status;
}

Status padDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  Dims pads, out;
  Status status = padsOf(args, pads);
  if (!status.isOk())
    return status;
  for (int64_t d = 0; d < x.rank; ++d) {
    int64_t begin = pads[d], end = pads[d + x.rank];
    if (std::abs(begin) > kMaxDim || std::abs(end) > kMaxDim)
      return Status::error("pad out of range");
    int64_t size = x.dims[d] + begin + end;
    if (size < 0 || size > kMaxDim)
      return Status::error("padding gives dim " + std::to_string(d) + " size " +
                           std::to_string(size));
    out.push_back(size);
  }
  dims = {out};
  return Status::ok();
}

Status runPad(const OpArgs &args) {
  return withParams<kernels::PadParams>(args, "pad", [&](kernels::PadParams p) {
    Dims pads;
    Status status = padsOf(args, pads);
    if (!status.isOk())
      return status;
    p.begins.assign(pads.begin(), pads.begin() + pads.size() / 2);
    return kernels::pad(p, args.operand(0), args.optional(2), args.result(0));
  });
}

} // namespace

void addShapeKernels(std::vector<OpKernel> &table) {
  table.push_back({"reshape", {2, 2, 1, 1}, "T * -> T", runCopy, reshapeDims, OpMemory::View});
  table.push_back({"squeeze", {1, 2, 1, 1}, "T * -> T", runCopy, squeezeDims, OpMemory::View});
  table.push_back({"unsqueeze", {1, 2, 1, 1}, "T * -> T", runCopy, unsqueezeDims, OpMemory::View});
  table.push_back({"flatten", {1, 1, 1, 1}, "T -> T", runCopy, flattenDims, OpMemory::View});
  table.push_back({"transpose", {1, 1, 1, 1}, "T -> T", runTranspose, transposeDims});
  table.push_back({"concat", {1, -1, 1, 1}, "T... -> T", runConcat, concatDims});
  table.push_back({"slice",
                   {3, 5, 1, 1},
                   "T * * * * -> T",
                   runSlice,
                   plannedDims<kernels::SliceParams, slicePlan>});
  table.push_back({"expand", {2, 2, 1, 1}, "T * -> T", runExpand, expandDims});
  table.push_back({"shape", {1, 1, 1, 1}, "* -> L", runShape, shapeDims});
  table.push_back({"tile", {2, 2, 1, 1}, "T * -> T", runTile, tileDims});
  table.push_back({"pad", {2, 3, 1, 1}, "T * T -> T", runPad, padDims});
}

} // namespace dlrt::ops
