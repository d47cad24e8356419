//===- Indexing.cpp - Entry points of gather, scatter, topk, nonzero, ... -===//
//
// nonzero, compress, unique and non_max_suppression count, then fill; topk
// sizes its results from k, an operand.
//
//===----------------------------------------------------------------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Indexing.h"

namespace dlrt::ops {
namespace {

/// Decodes AxisParams/ScatterParams and normalizes the axis against x.
template <typename P> Status axisOf(const OpArgs &args, const char *op, P &p) {
  Status status = args.decode(p, op);
  if (status.isOk())
    status = normalizeAxis(p.axis, args.operand(0).rank, p.axis);
  return status;
}

/// gather, gather_elements (an axis, normalized against x) and gather_nd
/// (batch_dims, as given): kernel(axis, x, indices, out).
template <Status (*Kernel)(int64_t, const BufferView &, const BufferView &, const BufferView &),
          bool IsAxis>
Status runGatherKind(const OpArgs &args) {
  AxisParams p;
  Status status = IsAxis ? axisOf(args, "gather", p) : args.decode(p, "gather_nd");
  return status.isOk() ? Kernel(p.axis, args.operand(0), args.operand(1), args.result(0))
                       : status;
}

Status runScatterElements(const OpArgs &args) {
  ScatterParams p;
  Status status = axisOf(args, "scatter_elements", p);
  return status.isOk() ? kernels::scatterElements(p.axis, p.reduction, args.operand(0),
                                                  args.operand(1), args.operand(2),
                                                  args.result(0))
                       : status;
}

Status runScatterNd(const OpArgs &args) {
  ScatterParams p;
  Status status = args.decode(p, "scatter_nd");
  return status.isOk() ? kernels::scatterNd(p.reduction, args.operand(0), args.operand(1),
                                            args.operand(2), args.result(0))
                       : status;
}

Status topkDims(const OpArgs &args, std::vector<Dims> &dims) {
  kernels::TopKParams p;
  Status status = axisOf(args, "topk", p);
  int64_t k = 0;
  if (status.isOk())
    status = readInt(args.operand(1), k, "k");
  if (!status.isOk())
    return status;
  const BufferView &x = args.operand(0);
  if (x.rank == 0)
    return Status::error("cannot take top-k of a scalar");
  if (k < 0 || k > x.dims[p.axis])
    return Status::error("k = " + std::to_string(k) + " is out of range for a dim of " +
                         std::to_string(x.dims[p.axis]));
  Dims out = dimsOf(x);
  out[p.axis] = k;
  dims = {out, out};
  return Status::ok();
}

Status runTopK(const OpArgs &args) {
  kernels::TopKParams p;
  Status status = axisOf(args, "topk", p);
  return status.isOk() ? kernels::topk(p, args.operand(0), args.result(0), args.result(1))
                       : status;
}

Status nonzeroDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims = {{args.operand(0).rank, kernels::countNonZero(args.operand(0))}};
  return Status::ok();
}

Status runNonZero(const OpArgs &args) { return kernels::nonzero(args.operand(0), args.result(0)); }

/// compress and unique: the axis, or 0 of the flattened input.
Status flatAxis(const OpArgs &args, const char *op, OptionalAxisParams &p, BufferView &x,
                Dims &dims) {
  Status status = args.decode(p, op);
  x = args.operand(0);
  dims = dimsOf(x);
  if (p.flat) {
    p.axis = 0;
    dims = {x.numElements()};
  } else if (status.isOk()) {
    status = normalizeAxis(p.axis, x.rank, p.axis);
  }
  return status;
}

Status compressDims(const OpArgs &args, std::vector<Dims> &dims) {
  OptionalAxisParams p;
  BufferView x;
  Dims out;
  Status status = flatAxis(args, "compress", p, x, out);
  if (!status.isOk())
    return status;
  out[p.axis] = kernels::countCompressed(out[p.axis], args.operand(1));
  dims = {out};
  return Status::ok();
}

Status runCompress(const OpArgs &args) {
  OptionalAxisParams p;
  BufferView x;
  Dims out;
  Status status = flatAxis(args, "compress", p, x, out);
  return status.isOk() ? kernels::compress(p.axis, p.flat, x, args.operand(1), args.result(0))
                       : status;
}

Status uniqueDims(const OpArgs &args, std::vector<Dims> &dims) {
  OptionalAxisParams p;
  BufferView x;
  Dims ys;
  Status status = flatAxis(args, "unique", p, x, ys);
  if (!status.isOk())
    return status;
  int64_t count = ys[p.axis];
  int64_t distinct = kernels::countUnique(p.axis, p.flat, x);
  ys[p.axis] = distinct;
  dims = {ys, {distinct}, {count}, {distinct}};
  return Status::ok();
}

Status runUnique(const OpArgs &args) {
  OptionalAxisParams p;
  BufferView x;
  Dims ys;
  Status status = flatAxis(args, "unique", p, x, ys);
  return status.isOk() ? kernels::unique(p.axis, p.flat, p.sorted, x, args.result(0),
                                         args.result(1), args.result(2), args.result(3))
                       : status;
}

/// NMS's params: attributes, then the optional scalar operands.
Status nmsParams(const OpArgs &args, kernels::NmsParams &p) {
  Status status = args.decode(p, "non_max_suppression");
  const BufferView &boxes = args.operand(0), &scores = args.operand(1);
  if (status.isOk() && (boxes.rank != 3 || scores.rank != 3 || boxes.dims[2] != 4 ||
                        scores.dims[0] != boxes.dims[0] || scores.dims[2] != boxes.dims[1]))
    status = Status::error("boxes [B,N,4] and scores [B,C,N] disagree");
  if (status.isOk() && args.numOperands > 2)
    status = readInt(args.operand(2), p.maxPerClass, "max_output_boxes_per_class");
  if (status.isOk() && args.numOperands > 3)
    status = readDouble(args.operand(3), p.iouThreshold, "iou_threshold");
  p.hasScoreThreshold = args.numOperands > 4;
  if (status.isOk() && p.hasScoreThreshold)
    status = readDouble(args.operand(4), p.scoreThreshold, "score_threshold");
  return status;
}

Status nmsDims(const OpArgs &args, std::vector<Dims> &dims) {
  kernels::NmsParams p;
  Status status = nmsParams(args, p);
  if (status.isOk())
    dims = {{kernels::countNms(p, args.operand(0), args.operand(1)), 3}};
  return status;
}

Status runNms(const OpArgs &args) {
  kernels::NmsParams p;
  Status status = nmsParams(args, p);
  return status.isOk() ? kernels::nms(p, args.operand(0), args.operand(1), args.result(0))
                       : status;
}

Status runReverseSequence(const OpArgs &args) {
  return withParams<ReverseSequenceParams>(args, "reverse_sequence", [&](auto p) {
    int64_t rank = args.operand(0).rank;
    Status status = normalizeAxis(p.batchAxis, rank, p.batchAxis);
    if (status.isOk())
      status = normalizeAxis(p.timeAxis, rank, p.timeAxis);
    return status.isOk() ? kernels::reverseSequence(p.batchAxis, p.timeAxis, args.operand(0),
                                                    args.operand(1), args.result(0))
                         : status;
  });
}

} // namespace

void addIndexingKernels(std::vector<OpKernel> &table) {
  table.push_back({"gather", {2, 2, 1, 1}, runGatherKind<kernels::gather, true>});
  table.push_back({"gather_elements", {2, 2, 1, 1}, runGatherKind<kernels::gatherElements, true>});
  table.push_back({"gather_nd", {2, 2, 1, 1}, runGatherKind<kernels::gatherNd, false>});
  table.push_back({"scatter_elements", {3, 3, 1, 1}, runScatterElements, sameDims});
  table.push_back({"scatter_nd", {3, 3, 1, 1}, runScatterNd, sameDims});
  table.push_back({"topk", {2, 2, 2, 2}, runTopK, topkDims});
  table.push_back({"nonzero", {1, 1, 1, 1}, runNonZero, nonzeroDims});
  table.push_back({"compress", {2, 2, 1, 1}, runCompress, compressDims});
  table.push_back({"unique", {1, 1, 4, 4}, runUnique, uniqueDims});
  table.push_back({"non_max_suppression", {2, 5, 1, 1}, runNms, nmsDims});
  table.push_back({"reverse_sequence", {2, 2, 1, 1}, runReverseSequence, sameDims});
}

} // namespace dlrt::ops
