//===- Reduction.cpp - Entry points of reductions, softmax, cumsum --------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Reduction.h"

#include <algorithm>

namespace dlrt::ops {
namespace {

/// The axes a reduction reduces (the attribute, operand 1, else all);
/// `noop` when they are given, empty, and noop_with_empty_axes holds.
Status reduceAxes(const OpArgs &args, const ReduceOpParams &p, std::vector<int64_t> &axes,
                  bool &noop) {
  const BufferView &x = args.operand(0);
  std::vector<int64_t> given = p.axes;
  bool hasAxes = p.hasAxes;
  if (!hasAxes && args.numOperands > 1) {
    Status status = readInts(args.operand(1), given, "axes");
    if (!status.isOk())
      return status;
    hasAxes = true;
  }
  noop = hasAxes && given.empty() && p.noopWithEmptyAxes;
  axes.clear();
  if (!given.empty())
    return normalizeAxes(given, x.rank, axes);
  if (!noop)
    for (int64_t i = 0; i < x.rank; ++i)
      axes.push_back(i);
  return Status::ok();
}

Status reduceDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<ReduceOpParams>(args, "reduce", [&](const ReduceOpParams &p) {
    std::vector<int64_t> axes;
    bool noop = false;
    Status status = reduceAxes(args, p, axes, noop);
    if (!status.isOk())
      return status;
    const BufferView &x = args.operand(0);
    Dims out;
    for (int64_t d = 0; d < x.rank; ++d) {
      bool reduced = std::binary_search(axes.begin(), axes.end(), d);
      if (!reduced)
        out.push_back(x.dims[d]);
      else if (p.keepDims)
        out.push_back(1);
    }
    dims = {out};
    return Status::ok();
  });
}

Status runReduce(const OpArgs &args) {
  return withParams<ReduceOpParams>(args, "reduce", [&](const ReduceOpParams &p) {
    kernels::ReduceParams params{p.op, {}};
    bool noop = false;
    Status status = reduceAxes(args, p, params.axes, noop);
    if (!status.isOk())
      return status;
    if (noop) {
      copyBuffer(args.operand(0), args.result(0));
      return Status::ok();
    }
    return kernels::reduce(params, args.operand(0), args.result(0));
  });
}

Status argReduceDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<kernels::ArgReduceParams>(args, "arg_reduce", [&](auto p) {
    const BufferView &x = args.operand(0);
    Status status = normalizeAxis(p.axis, x.rank, p.axis);
    if (!status.isOk())
      return status;
    Dims out;
    for (int64_t d = 0; d < x.rank; ++d)
      if (d != p.axis || p.keepDims)
        out.push_back(d == p.axis ? 1 : x.dims[d]);
    dims = {out};
    return Status::ok();
  });
}

Status runArgReduce(const OpArgs &args) {
  return withParams<kernels::ArgReduceParams>(args, "arg_reduce", [&](auto p) {
    Status status = normalizeAxis(p.axis, args.operand(0).rank, p.axis);
    if (!status.isOk())
      return status;
    return kernels::argReduce(p, args.operand(0), args.result(0));
  });
}

Status runSoftmax(const OpArgs &args) {
  return withParams<kernels::SoftmaxParams>(args, "softmax", [&](auto p) {
    const BufferView &x = args.operand(0);
    if (x.rank == 0)
      p.axis = 0;
    Status status = normalizeAxis(p.axis, x.rank, p.axis);
    if (!status.isOk())
      return status;
    return kernels::softmax(p, x, args.result(0));
  });
}

Status runCumSum(const OpArgs &args) {
  return withParams<kernels::CumSumParams>(args, "cumsum", [&](auto p) {
    const BufferView &x = args.operand(0);
    int64_t axis = 0;
    Status status = readInt(args.operand(1), axis, "cumsum's axis");
    if (status.isOk())
      status = normalizeAxis(axis, x.rank, p.axis);
    if (!status.isOk())
      return status;
    return kernels::cumsum(p, x, args.result(0));
  });
}

} // namespace

void addReductionKernels(std::vector<OpKernel> &table) {
  table.push_back({"reduce", {1, 2, 1, 1}, "T * -> T", runReduce, reduceDims});
  table.push_back({"arg_reduce", {1, 1, 1, 1}, "* -> L", runArgReduce, argReduceDims});
  table.push_back({"softmax", {1, 1, 1, 1}, "T -> T", runSoftmax, sameDims});
  table.push_back({"cumsum", {2, 2, 1, 1}, "T * -> T", runCumSum, sameDims});
}

} // namespace dlrt::ops
