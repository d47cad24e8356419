//===- Image.h - Reference kernels of resize, grid_sample, roi_align -*- C++ -*-===//
//
// ONNX Resize (opset 11-17: nearest, linear and cubic, every coordinate
// transformation mode, tf_crop_and_resize), GridSample-16 and RoiAlign.
// Computed in double over copies of the inputs.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_IMAGE_H
#define DLRT_KERNELS_IMAGE_H

#include "kernels/ElementType.h"

#include <string>
#include <vector>

namespace dlrt::kernels {

struct ResizeParams {
  std::string mode = "nearest";         ///< nearest, linear, cubic
  std::string transform = "half_pixel"; ///< coordinate_transformation_mode
  std::string nearestMode = "round_prefer_floor";
  double cubicCoeffA = -0.75;
  bool excludeOutside = false;
  double extrapolationValue = 0;
  std::vector<double> scales; ///< per dim
  std::vector<double> roi;    ///< starts then ends per dim (0..1 when absent)
  template <typename V> void fields(V &v) {
    v(mode)(transform)(nearestMode)(cubicCoeffA)(excludeOutside)(extrapolationValue)(scales)(roi);
  }
};

Status resize(const ResizeParams &params, const BufferView &x, const BufferView &out);

/// Input positions and weights for one output coordinate along one dim;
/// `outside` if the coordinate maps outside the input (crop_and_resize).
struct Taps {
  std::vector<int64_t> index;
  std::vector<double> weight;
  bool outside = false;
};

/// The taps of output coordinate `out` of a dim of `inLength` resized by
/// `scale` (what resize sums; code generators tabulate them).
Taps resizeTaps(const ResizeParams &params, int64_t out, int64_t inLength, double scale,
                double roiStart, double roiEnd);

struct GridSampleParams {
  std::string mode = "bilinear";     ///< bilinear, nearest, bicubic
  std::string paddingMode = "zeros"; ///< zeros, border, reflection
  bool alignCorners = false;
  template <typename V> void fields(V &v) { v(mode)(paddingMode)(alignCorners); }
};

Status gridSample(const GridSampleParams &params, const BufferView &x,
                  const BufferView &grid, const BufferView &out);

struct RoiAlignParams {
  bool isMax = false;
  bool halfPixel = true;
  double spatialScale = 1;
  int64_t samplingRatio = 0;
  int64_t outputHeight = 1, outputWidth = 1; ///< of each region's result
  template <typename V> void fields(V &v) {
    v(isMax)(halfPixel)(spatialScale)(samplingRatio)(outputHeight)(outputWidth);
  }
};

Status roiAlign(const RoiAlignParams &params, const BufferView &x, const BufferView &rois,
                const BufferView &batchIndices, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_IMAGE_H
