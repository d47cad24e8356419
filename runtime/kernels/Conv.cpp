//===- Conv.cpp - Reference kernels of convolution and pooling ------------===//

#include "kernels/Conv.h"
#include "threading/ThreadPool.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

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

/// The shapes a (transposed) convolution needs, checked before any index
/// is computed: the program is the compiler's, but a kernel must not read
/// or write outside its buffers whatever its params say.
Status checkConv(const Window &window, int64_t group, const BufferView &x,
                 const BufferView &w, const BufferView &bias, const BufferView &out,
                 bool transposed) {
  if (x.rank < 3 || w.rank != x.rank || out.rank != x.rank)
    return Status::error("conv: input, weights and output need one rank (3 or more)");
  size_t spatial = static_cast<size_t>(x.rank) - 2;
  if (Status status = checkWindow("conv", window, spatial); !status.isOk())
    return status;
  int64_t channels = transposed ? w.dims[1] * group : w.dims[0];
  bool fits = group >= 1 && out.dims[0] == x.dims[0] && out.dims[1] == channels &&
              (transposed ? x.dims[1] % group == 0 && w.dims[0] == x.dims[1]
                          : w.dims[0] % group == 0 && x.dims[1] == w.dims[1] * group);
  if (!fits)
    return Status::error("conv: the channels of input, weights and output disagree "
                         "with group " + std::to_string(group));
  if (bias.data && (bias.rank != 1 || bias.dims[0] != channels))
    return Status::error("conv: the bias needs one value per output channel");
  return Status::ok();
}

} // namespace

/// A window of `spatial` dims whose positions (output index * stride -
/// pad + offset * dilation, each factor within its limit) cannot overflow.
Status checkWindow(std::string_view op, const Window &w, size_t spatial) {
  if (w.kernel.size() != spatial || w.strides.size() != spatial ||
      w.dilations.size() != spatial || w.padBegin.size() != spatial ||
      w.padEnd.size() != spatial)
    return Status::error(std::string(op) + ": the window does not match the spatial rank");
  constexpr int64_t kMaxStep = int64_t(1) << 20, kMaxSize = int64_t(1) << 40;
  for (size_t d = 0; d < spatial; ++d)
    if (w.strides[d] < 1 || w.strides[d] > kMaxStep || w.dilations[d] < 1 ||
        w.dilations[d] > kMaxStep || w.kernel[d] < 0 || w.kernel[d] > kMaxSize ||
        std::abs(w.padBegin[d]) > kMaxSize || std::abs(w.padEnd[d]) > kMaxSize)
      return Status::error(std::string(op) + ": strides, dilations, kernel or pads out of range");
  return Status::ok();
}

Status conv(const ConvParams &params, const BufferView &x, const BufferView &w,
            const BufferView &bias, const BufferView &out, ThreadPool *pool) {
  if (Status status = checkConv(params.window, params.group, x, w, bias, out, false);
      !status.isOk())
    return status;
  std::vector<int64_t> xs(x.dims, x.dims + x.rank), ws(w.dims, w.dims + w.rank),
      os(out.dims, out.dims + out.rank);
  size_t spatial = xs.size() - 2;
  int64_t inPerGroup = ws[1], outPerGroup = ws[0] / params.group;
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank),
                       wStrides = rowMajorStrides(w.dims, w.rank);
  std::vector<int64_t> outSpatial(os.begin() + 2, os.end());
  int64_t planeSize = 1;
  for (int64_t d : outSpatial)
    planeSize *= d;
  const Window &window = params.window;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    // Output planes (n, m) are independent: split them across the pool;
    // each is computed the same way whatever the thread count.
    auto planes = [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        int64_t n = plane / os[1], m = plane % os[1];
        int64_t g = m / outPerGroup;
        int64_t linear = plane * planeSize;
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
    };
    int64_t count = os[0] * os[1];
    if (pool)
      pool->parallelFor(count, 1, planes);
    else
      planes(0, count);
  });
  return Status::ok();
}

Status pool(const PoolParams &params, const BufferView &x, const BufferView &out,
            const BufferView &indices) {
  // One output plane per input plane, a window over its spatial dims.
  Status status = expectRank(x, 3, "pool", "the input", true);
  if (status.isOk())
    status = expectRank(out, x.rank, "pool", "the result");
  if (status.isOk() && (out.dims[0] != x.dims[0] || out.dims[1] != x.dims[1]))
    status = Status::error("pool: the result's planes are not the input's");
  if (status.isOk())
    status = checkWindow("pool", params.window, size_t(x.rank) - 2);
  if (status.isOk() && indices.data)
    status = expectDims(indices, std::vector<int64_t>(out.dims, out.dims + out.rank), "pool",
                        "the indices");
  if (!status.isOk())
    return status;
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
  // Per output position, the kernel offsets whose input position lies in
  // [lo, hi) along each dim: only those inside the input are visited, so
  // the work does not grow with a window larger than the input.
  auto taps = [&](size_t d, int64_t o, int64_t lo, int64_t hi) {
    int64_t base = o * window.strides[d] - window.padBegin[d], step = window.dilations[d];
    auto ceilDiv = [](int64_t a, int64_t b) { return a / b + (a % b != 0 && a > 0); };
    int64_t begin = std::max<int64_t>(0, ceilDiv(lo - base, step));
    int64_t end = std::min<int64_t>(window.kernel[d], ceilDiv(hi - base, step));
    return std::make_pair(begin, std::max(begin, end));
  };
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    int64_t linear = 0;
    std::vector<int64_t> first(spatial), spans(spatial);
    for (int64_t plane = 0; plane < os[0] * os[1]; ++plane)
      forEachIndex(outSpatial, [&](const std::vector<int64_t> &o) {
        double acc = isMax ? -INFINITY : 0.0;
        int64_t count = 1, at = -1;
        for (size_t d = 0; d < spatial; ++d) {
          auto [begin, end] = taps(d, o[d], 0, xs[2 + d]);
          first[d] = begin;
          spans[d] = end - begin;
          if (params.countIncludePad) {
            auto [padBegin, padEnd] =
                taps(d, o[d], -window.padBegin[d], xs[2 + d] + window.padEnd[d]);
            count *= padEnd - padBegin;
          } else {
            count *= spans[d];
          }
        }
        forEachIndex(spans, [&](const std::vector<int64_t> &j) {
          int64_t offset = plane * xStrides[1], index = plane * xStrides[1];
          for (size_t d = 0; d < spatial; ++d) {
            int64_t pos = position(window, d, o[d], first[d] + j[d]);
            offset += pos * xStrides[2 + d];
            index += pos * indexStrides[2 + d];
          }
          double v = static_cast<double>(E::load(x.data, offset));
          if (isMax && (v > acc || at < 0 || std::isnan(v)))
            at = std::isnan(acc) ? at : index;
          acc = isMax ? (std::isnan(v) ? v : std::max(acc, v)) : acc + v;
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

Status globalPool(bool isMax, const BufferView &x, const BufferView &out) {
  if (Status status = expectRank(x, 2, "global_pool", "the input", true); !status.isOk())
    return status;
  std::vector<int64_t> outDims(x.rank, 1);
  outDims[0] = x.dims[0];
  outDims[1] = x.dims[1];
  if (Status status = expectDims(out, outDims, "global_pool", "the result"); !status.isOk())
    return status;
  int64_t planes = out.numElements();
  int64_t size = planes ? x.numElements() / planes : 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t p = 0; p < planes; ++p) {
      double acc = isMax ? -INFINITY : 0.0;
      for (int64_t i = 0; i < size; ++i) {
        double v = static_cast<double>(E::load(x.data, p * size + i));
        // (a NaN propagates, as in pool and reduce_max)
        acc = isMax ? (std::isnan(v) || std::isnan(acc) ? NAN : std::max(acc, v)) : acc + v;
      }
      double value = isMax ? acc : acc / static_cast<double>(std::max<int64_t>(size, 1));
      if constexpr (E::isFloat)
        E::store(out.data, p, value);
      else
        E::store(out.data, p, saturatingInt64(value));
    }
  });
  return Status::ok();
}

Status convTranspose(const ConvTransposeParams &params, const BufferView &x,
                     const BufferView &w, const BufferView &bias, const BufferView &out) {
  if (Status status = checkConv(params.window, params.group, x, w, bias, out, true);
      !status.isOk())
    return status;
  std::vector<int64_t> xs(x.dims, x.dims + x.rank), ws(w.dims, w.dims + w.rank),
      os(out.dims, out.dims + out.rank);
  size_t spatial = xs.size() - 2;
  const Window &window = params.window;
  int64_t inPerGroup = xs[1] / params.group, outPerGroup = ws[1];
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank),
                       wStrides = rowMajorStrides(w.dims, w.rank),
                       oStrides = rowMajorStrides(out.dims, out.rank);
  std::vector<double> acc(out.numElements(), 0.0);
  std::vector<int64_t> inSpatial(xs.begin() + 2, xs.end());
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t n = 0; n < xs[0]; ++n)
      for (int64_t ci = 0; ci < xs[1]; ++ci) {
        int64_t g = ci / inPerGroup;
        forEachIndex(inSpatial, [&](const std::vector<int64_t> &i) {
          int64_t xOffset = n * xStrides[0] + ci * xStrides[1];
          for (size_t d = 0; d < spatial; ++d)
            xOffset += i[d] * xStrides[2 + d];
          double v = static_cast<double>(E::load(x.data, xOffset));
          for (int64_t co = 0; co < outPerGroup; ++co)
            forEachIndex(window.kernel, [&](const std::vector<int64_t> &k) {
              int64_t o = n * oStrides[0] + (g * outPerGroup + co) * oStrides[1];
              int64_t wo = ci * wStrides[0] + co * wStrides[1];
              for (size_t d = 0; d < spatial; ++d) {
                int64_t pos = position(window, d, i[d], k[d]);
                if (pos < 0 || pos >= os[2 + d])
                  return;
                o += pos * oStrides[2 + d];
                wo += k[d] * wStrides[2 + d];
              }
              acc[o] += v * static_cast<double>(E::load(w.data, wo));
            });
        });
      }
    int64_t count = out.numElements();
    int64_t plane = count / std::max<int64_t>(os[0] * os[1], 1);
    for (int64_t i = 0; i < count; ++i) {
      double b = bias.data ? static_cast<double>(E::load(bias.data, (i / plane) % os[1])) : 0.0;
      if constexpr (E::isFloat)
        E::store(out.data, i, acc[i] + b);
      else
        E::store(out.data, i, saturatingInt64(acc[i] + b));
    }
  });
  return Status::ok();
}

Status maxUnpool(const MaxUnpoolParams &params, const BufferView &x, const BufferView &indices,
                 const BufferView &out) {
  std::vector<int64_t> xs(x.dims, x.dims + x.rank), os(out.dims, out.dims + out.rank);
  Status status = expectRank(x, 3, "max_unpool", "the input", true);
  if (status.isOk())
    status = expectRank(out, x.rank, "max_unpool", "the result");
  if (status.isOk())
    status = expectDims(indices, xs, "max_unpool", "the indices");
  if (!status.isOk())
    return status;
  std::vector<int64_t> natural = os;
  size_t spatial = xs.size() - 2;
  if (params.pads.size() != 2 * spatial)
    return Status::error("max_unpool: the window does not match the spatial rank");
  Window window{params.kernel, params.strides, std::vector<int64_t>(spatial, 1),
                std::vector<int64_t>(params.pads.begin(), params.pads.begin() + spatial),
                std::vector<int64_t>(params.pads.begin() + spatial, params.pads.end())};
  status = checkWindow("max_unpool", window, spatial);
  if (!status.isOk())
    return status;
  for (size_t d = 0; d < spatial; ++d) {
    natural[2 + d] = (xs[2 + d] - 1) * params.strides[d] + params.kernel[d] -
                     params.pads[d] - params.pads[d + spatial];
    if (natural[2 + d] < 0)
      return Status::error("max_unpool: the window gives a negative unpooled dim");
  }
  std::vector<int64_t> naturalStrides = rowMajorStrides(natural.data(), int32_t(natural.size()));
  std::vector<int64_t> outStrides = rowMajorStrides(out.dims, out.rank);
  int64_t naturalCount = 1;
  for (int64_t n : natural)
    naturalCount *= n;
  size_t size = elementSize(x.type);
  if (out.numElements() > 0) // an empty buffer may have no data at all
    std::memset(out.data, 0, size_t(out.numElements()) * size);
  const auto *where = static_cast<const int64_t *>(indices.data);
  for (int64_t i = 0; i < x.numElements(); ++i) {
    int64_t at = where[i], target = 0;
    if (at < 0 || at >= naturalCount)
      return Status::error("index " + std::to_string(at) + " is outside the unpooled shape");
    for (size_t d = 0; d < natural.size(); ++d) {
      int64_t coordinate = at / naturalStrides[d];
      at %= naturalStrides[d];
      if (coordinate >= os[d])
        return Status::error("output_shape is smaller than the unpooled shape");
      target += coordinate * outStrides[d];
    }
    std::memcpy(static_cast<uint8_t *>(out.data) + target * size,
                static_cast<const uint8_t *>(x.data) + i * size, size);
  }
  return Status::ok();
}

} // namespace dlrt::kernels
