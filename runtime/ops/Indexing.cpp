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

/// gather: out = x's dims before the axis, the indices' dims, x's after.
Status gatherDims(int64_t axis, const BufferView &x, const BufferView &indices, Dims &dims) {
  if (Status status = expectRank(x, 1, "gather", "the data", true); !status.isOk())
    return status;
  dims.assign(x.dims, x.dims + axis);
  dims.insert(dims.end(), indices.dims, indices.dims + indices.rank);
  dims.insert(dims.end(), x.dims + axis + 1, x.dims + x.rank);
  return Status::ok();
}

/// gather_elements and scatter_elements: indices of x's rank, within x's
/// dims off the axis (the kernels keep those coordinates); the result (or
/// the updates) has the indices' dims.
Status elementIndexDims(std::string_view op, int64_t axis, const BufferView &x,
                        const BufferView &indices, Dims &dims) {
  Status status = expectRank(x, 1, op, "the data", true);
  if (status.isOk())
    status = expectRank(indices, x.rank, op, "the indices");
  if (!status.isOk())
    return status;
  for (int32_t d = 0; d < x.rank; ++d)
    if (d != axis && indices.dims[d] > x.dims[d])
      return Status::error(std::string(op) + ": the indices have dims " +
                           dimsText(dimsOf(indices)) + ", more than the data's " +
                           dimsText(dimsOf(x)) + " off the axis");
  dims = dimsOf(indices);
  return Status::ok();
}

Status gatherElementsDims(int64_t axis, const BufferView &x, const BufferView &indices,
                          Dims &dims) {
  return elementIndexDims("gather_elements", axis, x, indices, dims);
}

/// gather_nd and scatter_nd: index tuples of `depth` = the indices' last
/// dim into x after `batchDims` dims they share; the result (or the
/// updates) has the indices' dims but the last, then x's after depth.
Status indexTupleDims(std::string_view op, int64_t batchDims, const BufferView &x,
                      const BufferView &indices, Dims &dims) {
  if (Status status = expectRank(indices, 1, op, "the indices", true); !status.isOk())
    return status;
  int64_t depth = indices.dims[indices.rank - 1];
  if (batchDims < 0 || batchDims >= indices.rank || depth > x.rank - batchDims)
    return Status::error(std::string(op) + ": index tuples of " + std::to_string(depth) +
                         " after " + std::to_string(batchDims) +
                         " batch dims do not fit data of rank " + std::to_string(x.rank));
  for (int64_t d = 0; d < batchDims; ++d)
    if (x.dims[d] != indices.dims[d])
      return Status::error(std::string(op) + ": the data and the indices differ in batch dim " +
                           std::to_string(d));
  dims.assign(indices.dims, indices.dims + indices.rank - 1);
  dims.insert(dims.end(), x.dims + batchDims + depth, x.dims + x.rank);
  return Status::ok();
}

Status gatherNdDims(int64_t batchDims, const BufferView &x, const BufferView &indices,
                    Dims &dims) {
  return indexTupleDims("gather_nd", batchDims, x, indices, dims);
}

using GatherDimsFn = Status (*)(int64_t, const BufferView &, const BufferView &, Dims &);

/// gather, gather_elements (an axis, normalized against x) and gather_nd
/// (batch_dims, as given): the axis and the result's dims by DimsOf.
template <GatherDimsFn DimsOf, bool IsAxis>
Status gatherPlan(const OpArgs &args, int64_t &axis, Dims &dims) {
  AxisParams p;
  Status status = IsAxis ? axisOf(args, "gather", p) : args.decode(p, "gather_nd");
  axis = p.axis;
  return status.isOk() ? DimsOf(p.axis, args.operand(0), args.operand(1), dims) : status;
}

template <GatherDimsFn DimsOf, bool IsAxis>
Status gatherKindDims(const OpArgs &args, std::vector<Dims> &dims) {
  int64_t axis = 0;
  dims.assign(1, {});
  return gatherPlan<DimsOf, IsAxis>(args, axis, dims[0]);
}

constexpr char kGather[] = "gather", kGatherElements[] = "gather_elements",
               kGatherNd[] = "gather_nd";

/// The plan, checked against the result, then the kernel.
template <Status (*Kernel)(int64_t, const BufferView &, const BufferView &, const BufferView &),
          GatherDimsFn DimsOf, bool IsAxis, const char *Op>
Status runGatherKind(const OpArgs &args) {
  int64_t axis = 0;
  Dims dims;
  Status status = gatherPlan<DimsOf, IsAxis>(args, axis, dims);
  if (status.isOk())
    status = expectDims(args.result(0), dims, Op, "the result");
  return status.isOk() ? Kernel(axis, args.operand(0), args.operand(1), args.result(0))
                       : status;
}

/// `computed` (the status of computing `dims`), then `view` has `dims`.
Status expectDimsOf(Status computed, const BufferView &view, const Dims &dims,
                    std::string_view op, std::string_view what) {
  return computed.isOk() ? expectDims(view, dims, op, what) : computed;
}

Status runScatterElements(const OpArgs &args) {
  Dims dims;
  ScatterParams p;
  Status status = axisOf(args, "scatter_elements", p);
  if (status.isOk())
    status = expectDimsOf(elementIndexDims("scatter_elements", p.axis, args.operand(0),
                                           args.operand(1), dims),
                          args.operand(2), dims, "scatter_elements", "the updates");
  return status.isOk() ? kernels::scatterElements(p.axis, p.reduction, args.operand(0),
                                                  args.operand(1), args.operand(2),
                                                  args.result(0))
                       : status;
}

Status runScatterNd(const OpArgs &args) {
  Dims dims;
  ScatterParams p;
  Status status = args.decode(p, "scatter_nd");
  if (status.isOk())
    status = expectDimsOf(indexTupleDims("scatter_nd", 0, args.operand(0), args.operand(1), dims),
                          args.operand(2), dims, "scatter_nd", "the updates");
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
    Status status = expectRank(args.operand(0), 2, "reverse_sequence", "the input", true);
    if (status.isOk())
      status = normalizeAxis(p.batchAxis, rank, p.batchAxis);
    if (status.isOk())
      status = normalizeAxis(p.timeAxis, rank, p.timeAxis);
    if (status.isOk() && p.batchAxis == p.timeAxis)
      status = Status::error("reverse_sequence: the batch and time axes are one axis");
    if (status.isOk())
      status = expectElements(args.operand(1), args.operand(0).dims[p.batchAxis],
                              "reverse_sequence", "sequence_lens");
    return status.isOk() ? kernels::reverseSequence(p.batchAxis, p.timeAxis, args.operand(0),
                                                    args.operand(1), args.result(0))
                         : status;
  });
}

} // namespace

void addIndexingKernels(std::vector<OpKernel> &table) {
  table.push_back(
      {"gather", {2, 2, 1, 1}, "T * -> T", runGatherKind<kernels::gather, gatherDims, true, kGather>,
                   gatherKindDims<gatherDims, true>});
  table.push_back({"gather_elements",
                   {2, 2, 1, 1},
                   "T * -> T",
                   runGatherKind<kernels::gatherElements, gatherElementsDims, true, kGatherElements>,
                   gatherKindDims<gatherElementsDims, true>});
  table.push_back({"gather_nd",
                   {2, 2, 1, 1},
                   "T * -> T",
                   runGatherKind<kernels::gatherNd, gatherNdDims, false, kGatherNd>,
                   gatherKindDims<gatherNdDims, false>});
  table.push_back({"scatter_elements", {3, 3, 1, 1}, "T * T -> T", runScatterElements, sameDims});
  table.push_back({"scatter_nd", {3, 3, 1, 1}, "T * T -> T", runScatterNd, sameDims});
  table.push_back({"topk", {2, 2, 2, 2}, "T * -> T L", runTopK, topkDims});
  table.push_back({"nonzero", {1, 1, 1, 1}, "* -> L", runNonZero, nonzeroDims});
  table.push_back({"compress", {2, 2, 1, 1}, "T * -> T", runCompress, compressDims});
  table.push_back({"unique", {1, 1, 4, 4}, "T -> T L L L", runUnique, uniqueDims});
  table.push_back({"non_max_suppression", {2, 5, 1, 1}, "* * * * * -> L", runNms, nmsDims});
  table.push_back({"reverse_sequence", {2, 2, 1, 1}, "T * -> T", runReverseSequence, sameDims});
}

} // namespace dlrt::ops
