//===- Conv.cpp - Reference kernels of convolution and pooling ------------===//

#include "kernels/Conv.h"

#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>

namespace dlrt::kernels {
namespace {

/// Input position of kernel offset `k` for output position `o` along `d`.
int64_t position(const Window &w, size_t d, int64_t o, int64_t k) {
  return o * w.strides[d] - w.padBegin[d] + k * w.dilations[d];
}

/// Calls fn(index) for every index of `dims` in row-major order.
template <typename Fn> void forEachIndex(const std::vector<int64_t> &dims, Fn fn) {
  for (int64_t size : dims)
    if (size == 0)
      return;
  std::vector<int64_t> index(dims.size(), 0);
  while (true) {
    fn(static_cast<const std::vector<int64_t> &>(index));
    int64_t d = static_cast<int64_t>(dims.size()) - 1;
    for (; d >= 0; --d) {
      if (++index[d] < dims[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

} // namespace

Status conv(const ConvParams &params, const BufferView &x, const BufferView &w,
            const BufferView &bias, const BufferView &out) {
  std::vector<int64_t> xs(x.dims, x.dims + x.rank), ws(w.dims, w.dims + w.rank),
      os(out.dims, out.dims + out.rank);
  size_t spatial = xs.size() - 2;
  int64_t inPerGroup = ws[1], outPerGroup = ws[0] / params.group;
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank),
                       wStrides = rowMajorStrides(w.dims, w.rank);
  std::vector<int64_t> outSpatial(os.begin() + 2, os.end());
  const Window &window = params.window;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    int64_t linear = 0;
    for (int64_t n = 0; n < os[0]; ++n)
      for (int64_t m = 0; m < os[1]; ++m) {
        int64_t g = m / outPerGroup;
        double b = bias.data ? static_cast<double>(E::load(bias.data, m)) : 0.0;
        forEachIndex(outSpatial, [&](const std::vector<int64_t> &o) {
          double sum = b;
          for (int64_t c = 0; c < inPerGroup; ++c)
            forEachIndex(window.kernel, [&](const std::vector<int64_t> &k) {
              int64_t xOffset = n * xStrides[0] + (g * inPerGroup + c) * xStrides[1];
              int64_t wOffset = m * wStrides[0] + c * wStrides[1];
              for (size_t d = 0; d < spatial; ++d) {
                int64_t pos = position(window, d, o[d], k[d]);
                if (pos < 0 || pos >= xs[2 + d])
                  return;
                xOffset += pos * xStrides[2 + d];
                wOffset += k[d] * wStrides[2 + d];
              }
              sum += static_cast<double>(E::load(x.data, xOffset)) *
                     static_cast<double>(E::load(w.data, wOffset));
            });
          if constexpr (E::isFloat)
            E::store(out.data, linear++, sum);
          else
            E::store(out.data, linear++, saturatingInt64(sum));
        });
      }
  });
  return Status::ok();
}

Status pool(const PoolParams &params, const BufferView &x, const BufferView &out,
            const BufferView &indices) {
  std::vector<int64_t> xs(x.dims, x.dims + x.rank), os(out.dims, out.dims + out.rank);
  size_t spatial = xs.size() - 2;
  const Window &window = params.window;
  bool isMax = params.isMax;
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank);
  std::vector<int64_t> outSpatial(os.begin() + 2, os.end());
  // Indices of maxima: flat offsets into x, with the spatial dims row-major
  // or column-major.
  std::vector<int64_t> indexStrides = xStrides;
  if (params.columnMajorIndices)
    for (size_t d = 0, stride = 1; d < spatial; ++d) {
      indexStrides[2 + d] = static_cast<int64_t>(stride);
      stride *= xs[2 + d];
    }
  auto *where = static_cast<int64_t *>(indices.data);
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    int64_t linear = 0;
    for (int64_t plane = 0; plane < os[0] * os[1]; ++plane)
      forEachIndex(outSpatial, [&](const std::vector<int64_t> &o) {
        double acc = isMax ? -INFINITY : 0.0;
        int64_t count = 0, at = -1;
        forEachIndex(window.kernel, [&](const std::vector<int64_t> &k) {
          int64_t offset = plane * xStrides[1], index = plane * xStrides[1];
          bool inside = true, insidePadded = true;
          for (size_t d = 0; d < spatial; ++d) {
            int64_t pos = position(window, d, o[d], k[d]);
            inside &= pos >= 0 && pos < xs[2 + d];
            insidePadded &= pos >= -window.padBegin[d] && pos < xs[2 + d] + window.padEnd[d];
            offset += pos * xStrides[2 + d];
            index += pos * indexStrides[2 + d];
          }
          if (inside) {
            double v = static_cast<double>(E::load(x.data, offset));
            if (isMax && (v > acc || at < 0 || std::isnan(v)))
              at = std::isnan(acc) ? at : index;
            acc = isMax ? (std::isnan(v) ? v : std::max(acc, v)) : acc + v;
          }
          if (inside || (params.countIncludePad && insidePadded))
            ++count;
        });
        if (where)
          where[linear] = at;
        double value = isMax ? acc : acc / static_cast<double>(std::max<int64_t>(count, 1));
        if constexpr (E::isFloat)
          E::store(out.data, linear++, value);
        else
          E::store(out.data, linear++, saturatingInt64(value));
      });
  });
  return Status::ok();
}

} // namespace dlrt::kernels
