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
#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

LogicalResult checkModes(InferContext &ctx) {
  std::string mode = ctx.stringAttr("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return ctx.error("mode must be nearest, linear or cubic, got \"" + mode + "\"");
  static const char *transforms[] = {"half_pixel", "asymmetric", "align_corners",
                                     "pytorch_half_pixel", "tf_half_pixel_for_nn",
                                     "tf_crop_and_resize"};
  std::string transform = ctx.stringAttr("coordinate_transformation_mode", "half_pixel");
  if (std::find(std::begin(transforms), std::end(transforms), transform) ==
      std::end(transforms))
    return ctx.error("unknown coordinate_transformation_mode \"" + transform + "\"");
  std::string nearest = ctx.stringAttr("nearest_mode", "round_prefer_floor");
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
  std::string transform = ctx.stringAttr("coordinate_transformation_mode", "half_pixel");
  std::string mode = ctx.stringAttr("mode", "nearest");
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
    coeffs = cubicCoeffs(ratio, ctx.floatAttr("cubic_coeff_a", -0.75));
  } else if (mode == "linear") {
    coeffs = {1 - ratio, ratio};
  } else {
    std::string nearest = ctx.stringAttr("nearest_mode", "round_prefer_floor");
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
  bool exclude = ctx.intAttr("exclude_outside", 0);
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
    double scale = bySizes ? double(os[d]) / xs[d] : target.getDouble(d);
    for (int64_t o = 0; o < os[d]; ++o)
      perDim[d].push_back(taps(ctx, o, xs[d], scale, roi[d], roi[d + rank]));
  }
  double extrapolation = ctx.floatAttr("extrapolation_value", 0.0);
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

} // namespace

void registerImageOps(OpRegistry &registry) {
  registry.add({"resize", "image", 2, 3,
                {{"mode", AttrKind::String},
                 {"coordinate_transformation_mode", AttrKind::String},
                 {"nearest_mode", AttrKind::String},
                 {"cubic_coeff_a", AttrKind::Float},
                 {"exclude_outside", AttrKind::Int},
                 {"extrapolation_value", AttrKind::Float}},
                inferResize, evalResize});
}

} // namespace dlc
