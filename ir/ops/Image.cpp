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

/// Input positions and weights for one output coordinate along one dim;
/// `outside` if the coordinate maps outside the input (crop_and_resize).
struct Taps {
  std::vector<int64_t> index;
  std::vector<double> weight;
  bool outside = false;
};

std::vector<double> cubicCoeffs(double r, double a) {
  auto far = [&](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };
  auto near = [&](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

Taps taps(const EvalContext &ctx, int64_t out, int64_t inLength, double scale,
          double roiStart, double roiEnd) {
  std::string transform = ctx.stringAttr("coordinate_transformation_mode");
  std::string mode = ctx.stringAttr("mode");
  double outLength = scale * inLength;
  double x;
  Taps result;
  if (transform == "align_corners")
    x = outLength == 1 ? 0 : out * (inLength - 1) / (outLength - 1);
  else if (transform == "asymmetric")
    x = out / scale;
  else if (transform == "tf_half_pixel_for_nn")
    x = (out + 0.5) / scale;
  else if (transform == "pytorch_half_pixel")
    x = outLength == 1 ? -0.5 : (out + 0.5) / scale - 0.5;
  else if (transform == "tf_crop_and_resize") {
    x = outLength == 1 ? (roiEnd - roiStart) * (inLength - 1) / 2
                       : out * (roiEnd - roiStart) * (inLength - 1) / (outLength - 1);
    x += roiStart * (inLength - 1);
    result.outside = x < 0 || x > inLength - 1;
  } else
    x = (out + 0.5) / scale - 0.5;

  double ratio = x - std::floor(x);
  if (ratio == 0)
    ratio = 1;
  std::vector<double> coeffs;
  if (mode == "cubic") {
    coeffs = cubicCoeffs(ratio, ctx.floatAttr("cubic_coeff_a"));
  } else if (mode == "linear") {
    coeffs = {1 - ratio, ratio};
  } else {
    std::string nearest = ctx.stringAttr("nearest_mode");
    if (ratio == 1) coeffs = {0, 1};
    else if (nearest == "round_prefer_ceil") coeffs = {double(ratio < 0.5), double(ratio >= 0.5)};
    else if (nearest == "floor") coeffs = {1, 0};
    else if (nearest == "ceil") coeffs = {0, 1};
    else coeffs = {double(ratio <= 0.5), double(ratio > 0.5)};
  }
  // The len(coeffs) integer positions nearest x, ties to the smaller; in
  // order. Positions past the border read the edge value.
  int64_t n = static_cast<int64_t>(coeffs.size());
  int64_t first = static_cast<int64_t>(std::floor(x)) - (n / 2 - 1);
  if (ratio == 1) // x is an integer: ties go to the smaller side
    first = static_cast<int64_t>(x) - n / 2;
  bool exclude = ctx.intAttr("exclude_outside");
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t position = first + i;
    bool inside = position >= 0 && position < inLength;
    if (exclude && !inside)
      coeffs[i] = 0;
    sum += coeffs[i];
    result.index.push_back(std::clamp<int64_t>(position, 0, inLength - 1));
  }
  for (double &c : coeffs)
    result.weight.push_back(exclude && sum != 0 ? c / sum : c);
  return result;
}

LogicalResult evalResize(EvalContext &ctx) {
  const Tensor &x = ctx.input(0), &target = ctx.input(1);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape xs = shapeOf(x), os = shapeOf(*out), strides = stridesOf(xs);
  size_t rank = xs.size();
  bool bySizes = target.dtype() == DType::I64;
  std::vector<double> roi(2 * rank, 0.0);
  if (ctx.numOperands() == 3) {
    const Tensor &given = ctx.input(2);
    if (given.numElements() != static_cast<int64_t>(2 * rank))
      return ctx.error("roi has " + std::to_string(given.numElements()) +
                       " values, rank " + std::to_string(rank) + " needs " +
                       std::to_string(2 * rank));
    for (size_t i = 0; i < 2 * rank; ++i)
      roi[i] = given.getDouble(i);
  }
  for (size_t d = 0; d < rank; ++d)
    if (roi[d] == 0 && roi[d + rank] == 0)
      roi[d + rank] = 1;
  // Per dim, per output coordinate: the taps.
  std::vector<std::vector<Taps>> perDim(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (xs[d] == 0 && os[d] > 0)
      return ctx.error("cannot resize an empty dim " + std::to_string(d) +
                       " to " + std::to_string(os[d]));
    double scale = bySizes ? double(os[d]) / xs[d] : target.getDouble(d);
    for (int64_t o = 0; o < os[d]; ++o)
      perDim[d].push_back(taps(ctx, o, xs[d], scale, roi[d], roi[d + rank]));
  }
  double extrapolation = ctx.floatAttr("extrapolation_value");
  int64_t linear = 0;
  forEachIndex(os, [&](const Shape &index) {
    bool outside = false;
    for (size_t d = 0; d < rank; ++d)
      outside |= perDim[d][index[d]].outside;
    if (outside) {
      out->setDouble(linear++, extrapolation);
      return;
    }
    // Sum over every combination of taps: weight product times input.
    double sum = 0;
    std::vector<size_t> pick(rank, 0);
    while (true) {
      double weight = 1;
      int64_t offset = 0;
      for (size_t d = 0; d < rank; ++d) {
        const Taps &t = perDim[d][index[d]];
        weight *= t.weight[pick[d]];
        offset += t.index[pick[d]] * strides[d];
      }
      if (weight != 0)
        sum += weight * x.getDouble(offset);
      size_t d = rank;
      while (d > 0 && ++pick[d - 1] == perDim[d - 1][index[d - 1]].index.size())
        pick[--d] = 0;
      if (d == 0)
        break;
    }
    if (!isFloat(out->dtype()))
      sum = std::nearbyint(sum);
    out->setDouble(linear++, sum);
  });
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

/// Reflects x into [low, high] (repeatedly, as a mirror).
double reflect(double x, double low, double high) {
  double range = high - low;
  if (range <= 0)
    return low;
  if (x < low) {
    double d = low - x;
    int64_t n = static_cast<int64_t>(d / range);
    double r = d - n * range;
    return n % 2 == 0 ? low + r : high - r;
  }
  if (x > high) {
    double d = x - high;
    int64_t n = static_cast<int64_t>(d / range);
    double r = d - n * range;
    return n % 2 == 0 ? high - r : low + r;
  }
  return x;
}

LogicalResult evalGridSample(EvalContext &ctx) {
  const Tensor &x = ctx.input(0), &grid = ctx.input(1);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape xs = shapeOf(x), os = shapeOf(*out);
  int64_t channels = xs[1], h = xs[2], w = xs[3], ho = os[2], wo = os[3];
  std::string mode = ctx.stringAttr("mode");
  std::string padding = ctx.stringAttr("padding_mode");
  bool align = ctx.intAttr("align_corners");
  double xMin = align ? 0 : -0.5, xMax = align ? w - 1 : w - 0.5;
  double yMin = align ? 0 : -0.5, yMax = align ? h - 1 : h - 0.5;
  auto denormalize = [&](double n, int64_t length) {
    return align ? (n + 1) / 2 * (length - 1) : ((n + 1) * length - 1) / 2;
  };
  auto pixel = [&](int64_t plane, int64_t r, int64_t c) -> double {
    if (padding == "zeros") {
      if (r < 0 || r >= h || c < 0 || c >= w)
        return 0;
    } else if (padding == "border") {
      r = std::clamp<int64_t>(r, 0, h - 1);
      c = std::clamp<int64_t>(c, 0, w - 1);
    } else {
      c = static_cast<int64_t>(reflect(static_cast<double>(c), xMin, xMax));
      r = static_cast<int64_t>(reflect(static_cast<double>(r), yMin, yMax));
      r = std::clamp<int64_t>(r, 0, h - 1);
      c = std::clamp<int64_t>(c, 0, w - 1);
    }
    return x.getDouble((plane * h + r) * w + c);
  };
  auto cubic = [](double t) {
    const double a = -0.75;
    auto far = [&](double s) { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; };
    auto near = [&](double s) { return ((a + 2) * s - (a + 3)) * s * s + 1; };
    return std::array<double, 4>{far(t + 1), near(t), near(1 - t), far(2 - t)};
  };
  int64_t linear = 0;
  for (int64_t n = 0; n < os[0]; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          int64_t g = ((n * ho + oy) * wo + ox) * 2;
          double px = denormalize(grid.getDouble(g), w);
          double py = denormalize(grid.getDouble(g + 1), h);
          if (!std::isfinite(px) || !std::isfinite(py)) {
            out->setDouble(linear++, padding == "zeros" ? 0.0 : NAN);
            continue;
          }
          if (mode == "nearest") {
            px = std::nearbyint(px);
            py = std::nearbyint(py);
          }
          if (padding == "border") {
            px = std::clamp(px, 0.0, double(w - 1));
            py = std::clamp(py, 0.0, double(h - 1));
          } else if (padding == "reflection") {
            px = reflect(px, xMin, xMax);
            py = reflect(py, yMin, yMax);
          }
          int64_t plane = n * channels + c;
          double value;
          if (mode == "nearest") {
            value = pixel(plane, static_cast<int64_t>(py), static_cast<int64_t>(px));
          } else if (mode == "bilinear") {
            int64_t x0 = static_cast<int64_t>(std::floor(px)), y0 = static_cast<int64_t>(std::floor(py));
            double dx = px - x0, dy = py - y0;
            value = (1 - dy) * ((1 - dx) * pixel(plane, y0, x0) + dx * pixel(plane, y0, x0 + 1)) +
                    dy * ((1 - dx) * pixel(plane, y0 + 1, x0) + dx * pixel(plane, y0 + 1, x0 + 1));
          } else {
            int64_t x0 = static_cast<int64_t>(std::floor(px)) - 1, y0 = static_cast<int64_t>(std::floor(py)) - 1;
            std::array<double, 4> cx = cubic(px - std::floor(px)), cy = cubic(py - std::floor(py));
            value = 0;
            for (int i = 0; i < 4; ++i) {
              double row = 0;
              for (int j = 0; j < 4; ++j)
                row += cx[j] * pixel(plane, y0 + i, x0 + j);
              value += cy[i] * row;
            }
          }
          out->setDouble(linear++, value);
        }
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

LogicalResult evalRoiAlign(EvalContext &ctx) {
  const Tensor &x = ctx.input(0), &rois = ctx.input(1), &batch = ctx.input(2);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape xs = shapeOf(x), os = shapeOf(*out);
  int64_t channels = xs[1], h = xs[2], w = xs[3], oh = os[2], ow = os[3];
  if (batch.numElements() != os[0])
    return ctx.error("batch_indices must have one entry per roi");
  bool halfPixel = ctx.stringAttr("coordinate_transformation_mode") == "half_pixel";
  bool isMax = ctx.stringAttr("mode") == "max";
  double scale = ctx.floatAttr("spatial_scale");
  int64_t ratio = ctx.intAttr("sampling_ratio");
  double offset = halfPixel ? 0.5 : 0.0;
  for (int64_t r = 0; r < os[0]; ++r) {
    int64_t n = batch.getInt(r);
    if (n < 0 || n >= xs[0])
      return ctx.error("batch index " + std::to_string(n) + " is out of range");
    double x1 = rois.getDouble(4 * r) * scale - offset, y1 = rois.getDouble(4 * r + 1) * scale - offset;
    double x2 = rois.getDouble(4 * r + 2) * scale - offset, y2 = rois.getDouble(4 * r + 3) * scale - offset;
    double width = x2 - x1, height = y2 - y1;
    if (!halfPixel) {
      width = std::max(width, 1.0);
      height = std::max(height, 1.0);
    }
    double binH = height / oh, binW = width / ow;
    int64_t gridH = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(height / oh));
    int64_t gridW = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(width / ow));
    double count = std::max<int64_t>(gridH * gridW, 1);
    for (int64_t c = 0; c < channels; ++c) {
      int64_t plane = (n * channels + c) * h * w;
      for (int64_t py = 0; py < oh; ++py)
        for (int64_t px = 0; px < ow; ++px) {
          double acc = isMax ? -INFINITY : 0.0;
          bool any = false;
          for (int64_t iy = 0; iy < gridH; ++iy)
            for (int64_t ix = 0; ix < gridW; ++ix) {
              double y = y1 + py * binH + (iy + 0.5) * binH / gridH;
              double xx = x1 + px * binW + (ix + 0.5) * binW / gridW;
              double value = 0;
              if (!(y < -1.0 || y > h || xx < -1.0 || xx > w)) {
                y = std::max(y, 0.0);
                xx = std::max(xx, 0.0);
                int64_t yLow = static_cast<int64_t>(y), xLow = static_cast<int64_t>(xx);
                int64_t yHigh = yLow + 1, xHigh = xLow + 1;
                if (yLow >= h - 1) { yLow = yHigh = h - 1; y = static_cast<double>(yLow); }
                if (xLow >= w - 1) { xLow = xHigh = w - 1; xx = static_cast<double>(xLow); }
                double ly = y - yLow, lx = xx - xLow, hy = 1 - ly, hx = 1 - lx;
                double v[4] = {hy * hx * x.getDouble(plane + yLow * w + xLow),
                               hy * lx * x.getDouble(plane + yLow * w + xHigh),
                               ly * hx * x.getDouble(plane + yHigh * w + xLow),
                               ly * lx * x.getDouble(plane + yHigh * w + xHigh)};
                value = isMax ? std::max({v[0], v[1], v[2], v[3]}) : v[0] + v[1] + v[2] + v[3];
              }
              acc = isMax ? std::max(acc, value) : acc + value;
              any = true;
            }
          out->setDouble(((r * channels + c) * oh + py) * ow + px,
                         isMax ? (any ? acc : 0.0) : acc / count);
        }
    }
  }
  return success();
}

} // namespace

void registerImageOps(OpRegistry &registry) {
  registry.add({"resize", "image", 2, 3,
                {{"mode", AttrKind::String, false, "nearest"},
                 {"coordinate_transformation_mode", AttrKind::String, false, "half_pixel"},
                 {"nearest_mode", AttrKind::String, false, "round_prefer_floor"},
                 {"cubic_coeff_a", AttrKind::Float, false, -0.75},
                 {"exclude_outside", AttrKind::Int, false, 0},
                 {"extrapolation_value", AttrKind::Float, false, 0.0}},
                inferResize, evalResize});
  registry.add({"grid_sample", "image", 2, 2,
                {{"mode", AttrKind::String, false, "bilinear"},
                 {"padding_mode", AttrKind::String, false, "zeros"},
                 {"align_corners", AttrKind::Int, false, 0}},
                inferGridSample, evalGridSample});
  registry.add({"roi_align", "image", 3, 3,
                {{"mode", AttrKind::String, false, "avg"},
                 {"coordinate_transformation_mode", AttrKind::String, false, "half_pixel"},
                 {"output_height", AttrKind::Int, false, 1},
                 {"output_width", AttrKind::Int, false, 1},
                 {"sampling_ratio", AttrKind::Int, false, 0},
                 {"spatial_scale", AttrKind::Float, false, 1.0}},
                inferRoiAlign, evalRoiAlign});
}

} // namespace dlc
