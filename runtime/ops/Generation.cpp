//===- Generation.cpp - Entry points of range, one_hot, trilu -------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Generation.h"

#include <cmath>

namespace dlrt::ops {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

Status rangeDims(const OpArgs &args, std::vector<Dims> &dims) {
  double start = 0, limit = 0, delta = 0;
  Status status = readDouble(args.operand(0), start, "start");
  if (status.isOk())
    status = readDouble(args.operand(1), limit, "limit");
  if (status.isOk())
    status = readDouble(args.operand(2), delta, "delta");
  if (!status.isOk())
    return status;
  if (delta == 0)
    return Status::error("delta must not be 0");
  double span = std::ceil((limit - start) / delta);
  if (!std::isfinite(span) || span > double(kMaxDim))
    return Status::error("range of more than 2^40 elements");
  dims = {{std::max<int64_t>(0, static_cast<int64_t>(span))}};
  return Status::ok();
}

Status runRange(const OpArgs &args) {
  return kernels::range(args.operand(0), args.operand(2), args.result(0));
}

Status oneHotDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<AxisParams>(args, "one_hot", [&](AxisParams p) {
    const BufferView &indices = args.operand(0);
    double depth = 0;
    Status status = readDouble(args.operand(1), depth, "depth");
    if (status.isOk())
      status = normalizeAxis(p.axis, indices.rank + 1, p.axis);
    if (!status.isOk())
      return status;
    if (!(depth >= 0 && depth <= double(kMaxDim)))
      return Status::error("depth is out of range");
    Dims out = dimsOf(indices);
    out.insert(out.begin() + p.axis, static_cast<int64_t>(depth));
    dims = {out};
    return Status::ok();
  });
}

Status runOneHot(const OpArgs &args) {
  return withParams<AxisParams>(args, "one_hot", [&](AxisParams p) {
    Status status = normalizeAxis(p.axis, args.result(0).rank, p.axis);
    return status.isOk() ? kernels::oneHot(p.axis, args.operand(0), args.operand(2),
                                           args.result(0))
                         : status;
  });
}

Status runTrilu(const OpArgs &args) {
  return withParams<TriluParams>(args, "trilu", [&](const TriluParams &p) {
    int64_t k = 0;
    if (args.numOperands > 1) {
      Status status = readInt(args.operand(1), k, "k");
      if (!status.isOk())
        return status;
    }
    return kernels::trilu(p.upper, k, args.operand(0), args.result(0));
  });
}

} // namespace

void addGenerationKernels(std::vector<OpKernel> &table) {
  table.push_back({"range", {3, 3, 1, 1}, "T * T -> T", runRange, rangeDims});
  table.push_back({"one_hot", {3, 3, 1, 1}, "* * T -> T", runOneHot, oneHotDims});
  table.push_back({"trilu", {1, 2, 1, 1}, "T * -> T", runTrilu, sameDims});
}

} // namespace dlrt::ops
