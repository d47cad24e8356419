//===- Image.cpp - resize ------------------------------------------------===//
//
// resize(x, target, [roi]) follows ONNX Resize (opset 11-17): `target` is
// f32 scales or i64 sizes per dim, roi the crop box of tf_crop_and_resize; mode nearest, linear or cubic; the
// coordinate transformation modes of ONNX. Each output coordinate maps to a
// position in the input per dim; the value is the product-weighted sum over
// the nearest input positions (2 for nearest/linear, 4 for cubic), with
// edge values beyond the border, exactly as ONNX's reference computes it.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "kernels/Image.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

LogicalResult checkModes(InferContext &ctx) {
  std::string mode = ctx.stringAttr("mode");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return ctx.error("mode must be nearest, linear or cubic, got \"" + mode + "\"");
  static const char *transforms[] = {"half_pixel", "asymmetric", "align_corners",
                                     "pytorch_half_pixel", "tf_half_pixel_for_nn",
                                     "tf_crop_and_resize"};
  std::string transform = ctx.stringAttr("coordinate_transformation_mode");
  if (std::find(std::begin(transforms), std::end(transforms), transform) ==
      std::end(transforms))
    return ctx.error("unknown coordinate_transformation_mode \"" + transform + "\"");
  std::string nearest = ctx.stringAttr("nearest_mode");
  if (nearest != "round_prefer_floor" && nearest != "round_prefer_ceil" &&
      nearest != "floor" && nearest != "ceil")
    return ctx.error("unknown nearest_mode \"" + nearest + "\"");
  return success();
}

LogicalResult inferResize(InferContext &ctx) {
  if (failed(checkModes(ctx)))
    return failure();
  const TensorType &x = ctx.operandType(0), &target = ctx.operandType(1);
  bool bySizes = target.dtype() == DType::I64;
  if (!bySizes && !isFloat(target.dtype()))
    return ctx.error("operand 1 must be f32 scales or i64 sizes, got " + target.str());
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  const Tensor *given = ctx.constantOperand(1);
  if (given && given->numElements() != x.rank())
    return ctx.error("operand 1 has " + std::to_string(given->numElements()) +
                     " values for rank " + std::to_string(x.rank()));
  std::vector<Dim> dims;
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (given && !bySizes && x.dim(d).isSymbolic()) {
      // floor(size * scale) symbolically where that is exact: an integral
      // scale, or the reciprocal of a power of two (floor(N * 0.5) = N/2).
      double scale = given->getDouble(d);
      double inverse = scale > 0 ? 1.0 / scale : 0.0;
      bool integral = scale >= 0 && scale <= kMaxDimSize && scale == std::floor(scale);
      bool reciprocal = inverse >= 1 && inverse <= kMaxDimSize &&
                        inverse == std::floor(inverse) &&
                        (static_cast<int64_t>(inverse) & (static_cast<int64_t>(inverse) - 1)) == 0;
      dims.push_back(integral ? x.dim(d) * Dim(static_cast<int64_t>(scale))
                     : reciprocal ? floorDiv(x.dim(d), Dim(static_cast<int64_t>(inverse)))
                                  : Dim::unknown());
      continue;
    }
    if (!given || (!bySizes && !x.dim(d).isStatic())) {
      dims.push_back(Dim::unknown());
      continue;
    }
    double size = bySizes ? given->getDouble(d)
                          : std::floor(x.dim(d).size() * given->getDouble(d));
    if (!(size >= 0 && size <= kMaxDimSize))
      return ctx.error("output dim " + std::to_string(d) + " is out of range");
    dims.push_back(Dim(static_cast<int64_t>(size)));
  }
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

// grid_sample(x[N,C,H,W], grid[N,Ho,Wo,2]) samples x at the normalized
// (x, y) positions of grid (ONNX GridSample-16): mode bilinear, nearest or
// bicubic; padding_mode zeros, border or reflection; align_corners.
LogicalResult inferGridSample(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)) || failed(ctx.expectSameDType(0, 1)))
    return failure();
  std::string mode = ctx.stringAttr("mode");
  std::string padding = ctx.stringAttr("padding_mode");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return ctx.error("mode must be bilinear, nearest or bicubic");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return ctx.error("padding_mode must be zeros, border or reflection");
  const TensorType &x = ctx.operandType(0), &grid = ctx.operandType(1);
  if (ctx.unrankedResults({x.dtype()}))
    return success();
  if (x.rank() != 4 || grid.rank() != 4 || !grid.dim(3).compatibleWith(Dim(2)))
    return ctx.error("expects x [N,C,H,W] and grid [N,Ho,Wo,2], got " + x.str() +
                     " and " + grid.str());
  ctx.addResult(TensorType(x.dtype(), {x.dim(0), x.dim(1), grid.dim(1), grid.dim(2)}));
  return success();
}

// roi_align(x[N,C,H,W], rois[R,4], batch_indices[R]) -> [R,C,oh,ow]:
// each region (x1, y1, x2, y2) * spatial_scale is cut into oh x ow bins,
// each bin averaged (or maxed) over a grid of bilinear samples.
LogicalResult inferRoiAlign(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)) || failed(ctx.expectSameDType(0, 1)) ||
      failed(ctx.expectDType(2, kIndexTypes)))
    return failure();
  std::string mode = ctx.stringAttr("mode");
  if (mode != "avg" && mode != "max")
    return ctx.error("mode must be avg or max");
  const TensorType &x = ctx.operandType(0), &rois = ctx.operandType(1);
  int64_t oh = ctx.intAttr("output_height"), ow = ctx.intAttr("output_width");
  if (oh < 1 || ow < 1 || oh > kMaxDimSize || ow > kMaxDimSize)
    return ctx.error("output_height and output_width must be positive");
  if (x.hasRank() && x.rank() != 4)
    return ctx.error("expects x [N,C,H,W], got " + x.str());
  if (rois.hasRank() && (rois.rank() != 2 || !rois.dim(1).compatibleWith(Dim(4))))
    return ctx.error("expects rois [R,4], got " + rois.str());
  ctx.addResult(TensorType(x.dtype(), {rois.hasRank() ? rois.dim(0) : Dim::unknown(),
                                       x.hasRank() ? x.dim(1) : Dim::unknown(),
                                       Dim(oh), Dim(ow)}));
  return success();
}

} // namespace

void registerImageOps(OpRegistry &registry) {
  using dlrt::ops::LoweredOp;
  registry.add({"resize", "image", 2, 3,
                {{"mode", AttrKind::String, false, "nearest"},
                 {"coordinate_transformation_mode", AttrKind::String, false, "half_pixel"},
                 {"nearest_mode", AttrKind::String, false, "round_prefer_floor"},
                 {"cubic_coeff_a", AttrKind::Float, false, -0.75},
                 {"exclude_outside", AttrKind::Int, false, 0},
                 {"extrapolation_value", AttrKind::Float, false, 0.0}},
                inferResize, [](const InferContext &c, LoweredOp &o) {
                  dlrt::kernels::ResizeParams params;
                  params.mode = c.stringAttr("mode");
                  params.transform = c.stringAttr("coordinate_transformation_mode");
                  params.nearestMode = c.stringAttr("nearest_mode");
                  params.cubicCoeffA = c.floatAttr("cubic_coeff_a");
                  params.excludeOutside = c.intAttr("exclude_outside") != 0;
                  params.extrapolationValue = c.floatAttr("extrapolation_value");
                  return lowerTo(o, "resize", params);
                }});
  registry.add({"grid_sample", "image", 2, 2,
                {{"mode", AttrKind::String, false, "bilinear"},
                 {"padding_mode", AttrKind::String, false, "zeros"},
                 {"align_corners", AttrKind::Int, false, 0}},
                inferGridSample, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "grid_sample",
                                 dlrt::kernels::GridSampleParams{c.stringAttr("mode"),
                                                                 c.stringAttr("padding_mode"),
                                                                 c.intAttr("align_corners") != 0});
                }});
  registry.add({"roi_align", "image", 3, 3,
                {{"mode", AttrKind::String, false, "avg"},
                 {"coordinate_transformation_mode", AttrKind::String, false, "half_pixel"},
                 {"output_height", AttrKind::Int, false, 1},
                 {"output_width", AttrKind::Int, false, 1},
                 {"sampling_ratio", AttrKind::Int, false, 0},
                 {"spatial_scale", AttrKind::Float, false, 1.0}},
                inferRoiAlign, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "roi_align",
                                 dlrt::kernels::RoiAlignParams{
                                     c.stringAttr("mode") == "max",
                                     c.stringAttr("coordinate_transformation_mode") == "half_pixel",
                                     c.floatAttr("spatial_scale"), c.intAttr("sampling_ratio"),
                                     c.intAttr("output_height"), c.intAttr("output_width")});
                }});
}

} // namespace dlc
