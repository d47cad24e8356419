//===- Image.cpp - Reference kernels of resize, grid_sample, roi_align ----===//

#include "kernels/Image.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace dlrt::kernels {
namespace {

std::vector<double> cubicCoeffs(double r, double a) {
  auto far = [&](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };
  auto near = [&](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

} // namespace

Taps resizeTaps(const ResizeParams &params, int64_t out, int64_t inLength, double scale,
                double roiStart, double roiEnd) {
  const std::string &transform = params.transform;
  const std::string &mode = params.mode;
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
    coeffs = cubicCoeffs(ratio, params.cubicCoeffA);
  } else if (mode == "linear") {
    coeffs = {1 - ratio, ratio};
  } else {
    const std::string &nearest = params.nearestMode;
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
  bool exclude = params.excludeOutside;
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

namespace {

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

} // namespace

Status resize(const ResizeParams &params, const BufferView &input, const BufferView &out) {
  std::vector<int64_t> xs(input.dims, input.dims + input.rank), os(out.dims, out.dims + out.rank);
  std::vector<int64_t> strides = rowMajorStrides(input.dims, input.rank);
  size_t rank = xs.size();
  std::vector<double> roi = params.roi;
  // Per dim, per output coordinate: the taps.
  std::vector<std::vector<Taps>> perDim(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (xs[d] == 0 && os[d] > 0)
      return Status::error("cannot resize an empty dim " + std::to_string(d) + " to " +
                           std::to_string(os[d]));
    for (int64_t o = 0; o < os[d]; ++o)
      perDim[d].push_back(resizeTaps(params, o, xs[d], params.scales[d], roi[d], roi[d + rank]));
  }
  std::vector<double> x = loadAsDouble(input);
  std::vector<double> result(out.numElements());
  bool integral = !isFloatType(out.type);
  std::vector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < int64_t(result.size()); ++linear) {
    bool outside = false;
    for (size_t d = 0; d < rank; ++d)
      outside |= perDim[d][index[d]].outside;
    if (outside) {
      result[linear] = params.extrapolationValue;
    } else {
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
          sum += weight * x[offset];
        size_t d = rank;
        while (d > 0 && ++pick[d - 1] == perDim[d - 1][index[d - 1]].index.size())
          pick[--d] = 0;
        if (d == 0)
          break;
      }
      result[linear] = integral ? std::nearbyint(sum) : sum;
    }
    for (int64_t d = int64_t(rank) - 1; d >= 0; --d) {
      if (++index[d] < os[d])
        break;
      index[d] = 0;
    }
  }
  storeFromDouble(result, out);
  return Status::ok();
}

Status gridSample(const GridSampleParams &params, const BufferView &input,
                  const BufferView &gridView, const BufferView &out) {
  // x [N, C, H, W], grid [N, Ho, Wo, 2], out [N, C, Ho, Wo].
  Status status = expectRank(input, 4, "grid_sample", "the input");
  if (status.isOk())
    status = expectRank(gridView, 4, "grid_sample", "the grid");
  if (status.isOk())
    status = expectDims(gridView, {input.dims[0], gridView.dims[1], gridView.dims[2], 2},
                        "grid_sample", "the grid");
  if (status.isOk())
    status = expectDims(out, {input.dims[0], input.dims[1], gridView.dims[1], gridView.dims[2]},
                        "grid_sample", "the result");
  if (!status.isOk())
    return status;
  std::vector<double> x = loadAsDouble(input), grid = loadAsDouble(gridView);
  std::vector<double> result(out.numElements());
  const int64_t *xs = input.dims, *os = out.dims;
  int64_t channels = xs[1], h = xs[2], w = xs[3], ho = os[2], wo = os[3];
  const std::string &mode = params.mode;
  const std::string &padding = params.paddingMode;
  bool align = params.alignCorners;
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
    return x[(plane * h + r) * w + c];
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
          double px = denormalize(grid[g], w);
          double py = denormalize(grid[g + 1], h);
          if (!std::isfinite(px) || !std::isfinite(py)) {
            result[linear++] = padding == "zeros" ? 0.0 : NAN;
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
          result[linear++] = value;
        }
  storeFromDouble(result, out);
  return Status::ok();
}


Status roiAlign(const RoiAlignParams &params, const BufferView &input,
                const BufferView &roisView, const BufferView &batchView,
                const BufferView &out) {
  // x [N, C, H, W], rois [R, 4], batch indices [R], out [R, C, Ho, Wo].
  Status status = expectRank(input, 4, "roi_align", "the input");
  if (status.isOk())
    status = expectRank(out, 4, "roi_align", "the result");
  if (status.isOk())
    status = expectDims(roisView, {out.dims[0], 4}, "roi_align", "the rois");
  if (status.isOk())
    status = expectElements(batchView, out.dims[0], "roi_align", "batch_indices");
  if (status.isOk() && out.dims[1] != input.dims[1])
    status = Status::error("roi_align: the result's channels are not the input's");
  if (!status.isOk())
    return status;
  std::vector<double> x = loadAsDouble(input), rois = loadAsDouble(roisView),
                      batch = loadAsDouble(batchView);
  std::vector<double> result(out.numElements());
  const int64_t *xs = input.dims, *os = out.dims;
  int64_t channels = xs[1], h = xs[2], w = xs[3], oh = os[2], ow = os[3];
  bool halfPixel = params.halfPixel;
  bool isMax = params.isMax;
  double scale = params.spatialScale;
  int64_t ratio = params.samplingRatio;
  double offset = halfPixel ? 0.5 : 0.0;
  for (int64_t r = 0; r < os[0]; ++r) {
    int64_t n = static_cast<int64_t>(batch[r]);
    if (n < 0 || n >= xs[0])
      return Status::error("batch index " + std::to_string(n) + " is out of range");
    double x1 = rois[4 * r] * scale - offset, y1 = rois[4 * r + 1] * scale - offset;
    double x2 = rois[4 * r + 2] * scale - offset, y2 = rois[4 * r + 3] * scale - offset;
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
                double v[4] = {hy * hx * x[plane + yLow * w + xLow],
                               hy * lx * x[plane + yLow * w + xHigh],
                               ly * hx * x[plane + yHigh * w + xLow],
                               ly * lx * x[plane + yHigh * w + xHigh]};
                value = isMax ? std::max({v[0], v[1], v[2], v[3]}) : v[0] + v[1] + v[2] + v[3];
              }
              acc = isMax ? std::max(acc, value) : acc + value;
              any = true;
            }
          result[((r * channels + c) * oh + py) * ow + px] =
              isMax ? (any ? acc : 0.0) : acc / count;
        }
    }
  }
  storeFromDouble(result, out);
  return Status::ok();
}


} // namespace dlrt::kernels
