//===- Image.cpp - Entry points of resize, grid_sample, roi_align ---------===//

#include "ops/Family.h"
#include "ops/Support.h"

#include "kernels/Dispatch.h"
#include "kernels/Image.h"

#include <cmath>

namespace dlrt::ops {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 40;

/// resize's scales (from operand 1: f32 scales or i64 sizes), roi and
/// result dims.
Status resizePlan(const OpArgs &args, kernels::ResizeParams &p, Dims &dims) {
  Status status = args.decode(p, "resize");
  if (!status.isOk())
    return status;
  const BufferView &x = args.operand(0), &target = args.operand(1);
  size_t rank = static_cast<size_t>(x.rank);
  if (target.numElements() != x.rank)
    return Status::error("operand 1 has " + std::to_string(target.numElements()) +
                         " values for rank " + std::to_string(rank));
  std::vector<double> values = kernels::loadAsDouble(target);
  bool bySizes = !kernels::isFloatType(target.type);
  dims.clear();
  p.scales.clear();
  for (size_t d = 0; d < rank; ++d) {
    double size = bySizes ? values[d] : std::floor(x.dims[d] * values[d]);
    if (!(size >= 0 && size <= double(kMaxDim)))
      return Status::error("output dim " + std::to_string(d) + " is out of range");
    dims.push_back(static_cast<int64_t>(size));
    p.scales.push_back(bySizes ? (x.dims[d] ? values[d] / x.dims[d] : 0.0) : values[d]);
  }
  p.roi.assign(2 * rank, 0.0);
  if (args.numOperands > 2) {
    const BufferView &roi = args.operand(2);
    if (roi.numElements() != static_cast<int64_t>(2 * rank))
      return Status::error("roi has " + std::to_string(roi.numElements()) + " values, rank " +
                           std::to_string(rank) + " needs " + std::to_string(2 * rank));
    p.roi = kernels::loadAsDouble(roi);
  }
  for (size_t d = 0; d < rank; ++d)
    if (p.roi[d] == 0 && p.roi[d + rank] == 0)
      p.roi[d + rank] = 1;
  return Status::ok();
}

Status runResize(const OpArgs &args) {
  kernels::ResizeParams p;
  Dims out;
  Status status = resizePlan(args, p, out);
  return status.isOk() ? kernels::resize(p, args.operand(0), args.result(0)) : status;
}

Status runGridSample(const OpArgs &args) {
  return withParams<kernels::GridSampleParams>(args, "grid_sample", [&](const auto &p) {
    return kernels::gridSample(p, args.operand(0), args.operand(1), args.result(0));
  });
}

/// grid_sample: x [N, C, H, W] sampled at grid [N, Ho, Wo, 2] -> [N, C, Ho, Wo].
Status gridSampleDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0), &grid = args.operand(1);
  Status status = expectRank(x, 4, "grid_sample", "the input");
  if (status.isOk())
    status = expectRank(grid, 4, "grid_sample", "the grid");
  if (status.isOk())
    dims = {{x.dims[0], x.dims[1], grid.dims[1], grid.dims[2]}};
  return status;
}

/// roi_align: one [C, output_height, output_width] per region.
Status roiAlignDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<kernels::RoiAlignParams>(args, "roi_align", [&](const auto &p) {
    const BufferView &x = args.operand(0), &rois = args.operand(1);
    Status status = expectRank(x, 4, "roi_align", "the input");
    if (status.isOk())
      status = expectRank(rois, 2, "roi_align", "the rois");
    if (status.isOk() && (p.outputHeight < 1 || p.outputHeight > (int64_t(1) << 20) ||
                          p.outputWidth < 1 || p.outputWidth > (int64_t(1) << 20)))
      status = Status::error("roi_align: output_height and output_width must be in [1, 2^20]");
    if (status.isOk())
      dims = {{rois.dims[0], x.dims[1], p.outputHeight, p.outputWidth}};
    return status;
  });
}

Status runRoiAlign(const OpArgs &args) {
  return withParams<kernels::RoiAlignParams>(args, "roi_align", [&](const auto &p) {
    return kernels::roiAlign(p, args.operand(0), args.operand(1), args.operand(2),
                             args.result(0));
  });
}

} // namespace

void addImageKernels(std::vector<OpKernel> &table) {
  table.push_back({"resize",
                   {2, 3, 1, 1},
                   "* * * -> *",
                   runResize,
                   plannedDims<kernels::ResizeParams, resizePlan>});
  table.push_back({"grid_sample", {2, 2, 1, 1}, "* * -> *", runGridSample, gridSampleDims});
  table.push_back({"roi_align", {3, 3, 1, 1}, "* * * -> *", runRoiAlign, roiAlignDims});
}

} // namespace dlrt::ops
