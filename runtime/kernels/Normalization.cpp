//===- Normalization.cpp - Reference normalization kernels ----------------===//

#include "kernels/Normalization.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace dlrt::kernels {
namespace {

/// Normalizes each of `groups` contiguous runs of `size` elements of x to
/// zero mean and unit variance, then y = normalized * scale(i) + bias(i)
/// for element i.
template <typename E>
void normalizeRuns(const BufferView &x, const BufferView &out, int64_t groups,
                   int64_t size, double epsilon,
                   const std::function<double(int64_t)> &scale,
                   const std::function<double(int64_t)> &bias) {
  for (int64_t g = 0; g < groups; ++g) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < size; ++i)
      mean += E::load(x.data, g * size + i);
    mean /= static_cast<double>(size);
    for (int64_t i = 0; i < size; ++i) {
      double d = E::load(x.data, g * size + i) - mean;
      var += d * d;
    }
    var /= static_cast<double>(size);
    double inv = 1 / std::sqrt(var + epsilon);
    for (int64_t i = 0; i < size; ++i) {
      int64_t at = g * size + i;
      E::store(out.data, at, (E::load(x.data, at) - mean) * inv * scale(at) + bias(at));
    }
  }
}

/// x has channels (dim 1), and each of `perChannel` one value per channel.
Status checkChannels(std::string_view op, const BufferView &x,
                     std::initializer_list<const BufferView *> perChannel) {
  Status status = expectRank(x, 2, op, "the input", true);
  for (const BufferView *values : perChannel)
    if (status.isOk())
      status = expectElements(*values, x.dims[1], op, "a per-channel operand");
  return status;
}

} // namespace

Status batchNorm(double epsilon, const BufferView &x, const BufferView &scale,
                 const BufferView &bias, const BufferView &mean,
                 const BufferView &var, const BufferView &out) {
  if (Status status = checkChannels("batch_norm", x, {&scale, &bias, &mean, &var}); !status.isOk())
    return status;
  int64_t n = x.numElements(), channels = x.dims[1];
  if (n == 0)
    return Status::ok();
  int64_t inner = channels ? n / (x.dims[0] * channels) : 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (E::isFloat)
      for (int64_t i = 0; i < n; ++i) {
        int64_t c = (i / inner) % channels;
        double normalized = (E::load(x.data, i) - E::load(mean.data, c)) /
                            std::sqrt(E::load(var.data, c) + epsilon);
        E::store(out.data, i,
                 normalized * E::load(scale.data, c) + E::load(bias.data, c));
      }
  });
  return Status::ok();
}

Status instanceNorm(double epsilon, const BufferView &x, const BufferView &scale,
                    const BufferView &bias, const BufferView &out) {
  if (Status status = checkChannels("instance_norm", x, {&scale, &bias}); !status.isOk())
    return status;
  int64_t planes = x.dims[0] * x.dims[1], channels = x.dims[1];
  int64_t size = planes ? x.numElements() / planes : 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (E::isFloat)
      normalizeRuns<E>(
          x, out, planes, size, epsilon,
          [&](int64_t i) { return E::load(scale.data, (i / size) % channels); },
          [&](int64_t i) { return E::load(bias.data, (i / size) % channels); });
  });
  return Status::ok();
}

Status layerNorm(int64_t axis, double epsilon, const BufferView &x,
                 const BufferView &scale, const BufferView &bias, const BufferView &out) {
  int64_t size = 1;
  for (int32_t d = static_cast<int32_t>(axis); d < x.rank; ++d)
    size *= x.dims[d];
  int64_t groups = size ? x.numElements() / size : 0;
  // Offsets of scale and bias for each position within a group: they
  // broadcast to the normalized dims.
  if (axis < 0 || axis > x.rank)
    return Status::error("layer_norm: axis " + std::to_string(axis) + " is out of range");
  BufferView group{nullptr, x.type, x.dims + axis, x.rank - static_cast<int32_t>(axis)};
  if (!broadcastsTo(group, {&scale}) || (bias.data && !broadcastsTo(group, {&bias})))
    return Status::error("layer_norm: scale or bias does not broadcast to the normalized dims");
  std::vector<int64_t> scaleAt(size), biasAt(size, 0);
  {
    BroadcastWalk walk(group, {&scale, &bias});
    for (int64_t i = 0; i < size; ++i, walk.next()) {
      scaleAt[i] = walk.offsets()[0];
      biasAt[i] = walk.offsets()[1];
    }
  }
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (E::isFloat)
      normalizeRuns<E>(
          x, out, groups, size, epsilon,
          [&](int64_t i) { return E::load(scale.data, scaleAt[i % size]); },
          [&](int64_t i) { return bias.data ? E::load(bias.data, biasAt[i % size]) : 0.0; });
  });
  return Status::ok();
}

Status lrn(const LrnParams &params, const BufferView &x, const BufferView &out) {
  if (Status status = expectRank(x, 2, "lrn", "the input", true); !status.isOk())
    return status;
  int64_t n = x.numElements(), channels = x.dims[1];
  int64_t inner = n / std::max<int64_t>(x.dims[0] * channels, 1);
  int64_t below = (params.size - 1) / 2, above = params.size - 1 - below;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (E::isFloat)
      for (int64_t i = 0; i < n; ++i) {
        int64_t c = (i / inner) % channels, base = i - c * inner;
        double sum = 0;
        for (int64_t k = std::max<int64_t>(0, c - below);
             k <= std::min(channels - 1, c + above); ++k) {
          double v = E::load(x.data, base + k * inner);
          sum += v * v;
        }
        E::store(out.data, i,
                 E::load(x.data, i) /
                     std::pow(params.bias + params.alpha / params.size * sum, params.beta));
      }
  });
  return Status::ok();
}

} // namespace dlrt::kernels
