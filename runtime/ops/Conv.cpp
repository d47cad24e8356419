//===- Conv.cpp - Entry points of convolution and pooling -----------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Conv.h"

namespace dlrt::ops {
namespace {

/// The kernel library's window: `kernel` and the attributes, defaults filled
/// in for `spatial` dims.
void windowOf(const WindowParams &p, Dims kernel, kernels::Window &window) {
  size_t spatial = kernel.size();
  auto get = [&](const Dims &given, size_t count, int64_t fallback) {
    return given.size() == count ? given : Dims(count, fallback);
  };
  window.kernel = std::move(kernel);
  window.strides = get(p.strides, spatial, 1);
  window.dilations = get(p.dilations, spatial, 1);
  Dims pads = get(p.pads, 2 * spatial, 0);
  window.padBegin.assign(pads.begin(), pads.begin() + spatial);
  window.padEnd.assign(pads.begin() + spatial, pads.end());
}

/// The weights' spatial dims.
Dims weightWindow(const BufferView &w) { return Dims(w.dims + 2, w.dims + w.rank); }

constexpr int64_t kMaxDim = int64_t(1) << 40;

/// A result dim from 128-bit arithmetic, or an error past the limits.
Status outputDim(__int128 size, size_t d, Dims &out) {
  if (size < 0 || size > kMaxDim)
    return Status::error("output dim " + std::to_string(d) + " is out of range (the window " +
                         "does not fit the input, or the result is too large)");
  out.push_back(static_cast<int64_t>(size));
  return Status::ok();
}

/// The dims a sliding window over x's spatial dims gives: N, `channels`,
/// then (in + pads - dilation*(kernel-1) - 1) / stride + 1 per dim (the
/// division rounding up with ceilMode), as the compiler infers them.
Status windowResultDims(const kernels::Window &w, const BufferView &x, int64_t channels,
                        bool ceilMode, Dims &out) {
  size_t spatial = w.kernel.size();
  if (x.rank < 3 || static_cast<size_t>(x.rank) != spatial + 2)
    return Status::error("the input has rank " + std::to_string(x.rank) + ", the window " +
                         std::to_string(spatial) + " spatial dims");
  out = {x.dims[0], channels};
  for (size_t d = 0; d < spatial; ++d) {
    __int128 span = __int128(x.dims[2 + d]) + w.padBegin[d] + w.padEnd[d] -
                    __int128(w.dilations[d]) * (w.kernel[d] - 1) - 1;
    if (span < 0 || w.strides[d] < 1)
      return outputDim(-1, d, out);
    Status status = outputDim(
        (ceilMode ? (span + w.strides[d] - 1) / w.strides[d] : span / w.strides[d]) + 1, d, out);
    if (!status.isOk())
      return status;
  }
  return Status::ok();
}

/// The window's attributes checked as the kernels check them (so the sizes
/// computed from them cannot overflow).
Status checkedWindow(const char *op, const WindowParams &p, Dims kernel,
                     kernels::Window &window) {
  windowOf(p, std::move(kernel), window);
  return kernels::checkWindow(op, window, window.kernel.size());
}

/// A (transposed) convolution's window: the weights' spatial dims.
Status convWindow(const char *op, const WindowParams &p, const BufferView &w,
                  kernels::Window &window) {
  Status status = expectRank(w, 3, op, "the weights", true);
  return status.isOk() ? checkedWindow(op, p, weightWindow(w), window) : status;
}

Status convDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<WindowParams>(args, "conv", [&](const WindowParams &p) {
    const BufferView &x = args.operand(0), &w = args.operand(1);
    kernels::Window window;
    Status status = convWindow("conv", p, w, window);
    dims.assign(1, {});
    return status.isOk() ? windowResultDims(window, x, w.dims[0], false, dims[0]) : status;
  });
}

/// conv_transpose: stride*(in-1) + output_padding + dilation*(k-1) + 1 -
/// pads per spatial dim, w's dim 1 times group channels.
Status convTransposeDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<WindowParams>(args, "conv_transpose", [&](const WindowParams &p) {
    const BufferView &x = args.operand(0), &w = args.operand(1);
    kernels::Window window;
    Status status = convWindow("conv_transpose", p, w, window);
    if (status.isOk() && x.rank != w.rank)
      status = Status::error("conv_transpose: the input and the weights differ in rank");
    size_t spatial = window.kernel.size();
    if (status.isOk() && !p.outputPadding.empty() && p.outputPadding.size() != spatial)
      status = Status::error("conv_transpose: output_padding does not match the spatial rank");
    if (status.isOk() && (p.group < 1 || p.group > kMaxDim))
      status = Status::error("conv_transpose: group out of range");
    if (!status.isOk())
      return status;
    dims.assign(1, {x.dims[0]});
    status = outputDim(__int128(w.dims[1]) * p.group, 1, dims[0]);
    for (size_t d = 0; d < spatial && status.isOk(); ++d) {
      int64_t extra = p.outputPadding.empty() ? 0 : p.outputPadding[d];
      if (extra < 0 || extra > kMaxDim)
        return Status::error("conv_transpose: output_padding out of range");
      status = outputDim(__int128(window.strides[d]) * (x.dims[2 + d] - 1) + extra +
                             __int128(window.dilations[d]) * (window.kernel[d] - 1) + 1 -
                             window.padBegin[d] - window.padEnd[d],
                         d, dims[0]);
    }
    return status;
  });
}

Status poolDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<WindowParams>(args, "pool", [&](const WindowParams &p) {
    const BufferView &x = args.operand(0);
    kernels::Window window;
    Status status = expectRank(x, 3, "pool", "the input", true);
    if (status.isOk())
      status = checkedWindow("pool", p, p.kernel, window);
    Dims out;
    if (status.isOk())
      status = windowResultDims(window, x, x.dims[1], p.ceilMode, out);
    dims.assign(std::max<size_t>(dims.size(), 1), out); // the indices too, if asked for
    return status;
  });
}

Status globalPoolDims(const OpArgs &args, std::vector<Dims> &dims) {
  const BufferView &x = args.operand(0);
  if (Status status = expectRank(x, 3, "global_pool", "the input", true); !status.isOk())
    return status;
  Dims out(x.rank, 1);
  out[0] = x.dims[0];
  out[1] = x.dims[1];
  dims = {out};
  return Status::ok();
}

/// conv and conv_transpose: the window from the attributes and the
/// weights' spatial dims; the pool splits conv's output planes.
template <bool Transposed> Status runConvolution(const OpArgs &args) {
  return withParams<WindowParams>(args, "conv", [&](const WindowParams &p) {
    kernels::ConvParams params;
    params.group = p.group;
    windowOf(p, weightWindow(args.operand(1)), params.window);
    if constexpr (Transposed)
      return kernels::convTranspose(params, args.operand(0), args.operand(1),
                                    args.optional(2), args.result(0));
    else
      return kernels::conv(params, args.operand(0), args.operand(1), args.optional(2),
                           args.result(0), args.pool);
  });
}

Status runPool(const OpArgs &args) {
  return withParams<WindowParams>(args, "pool", [&](const WindowParams &p) {
    kernels::PoolParams params;
    params.isMax = p.isMax;
    params.countIncludePad = p.countIncludePad;
    params.columnMajorIndices = p.columnMajorIndices;
    windowOf(p, p.kernel, params.window);
    return kernels::pool(params, args.operand(0), args.result(0),
                         args.numResults > 1 ? args.result(1) : BufferView());
  });
}

Status runGlobalPool(const OpArgs &args) {
  return withParams<WindowParams>(args, "global_pool", [&](const WindowParams &p) {
    return kernels::globalPool(p.isMax, args.operand(0), args.result(0));
  });
}

Status maxUnpoolDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<WindowParams>(args, "max_unpool", [&](const WindowParams &p) {
    const BufferView &x = args.operand(0);
    Dims out;
    if (args.numOperands > 2) {
      Status status = readInts(args.operand(2), out, "output_shape");
      if (!status.isOk())
        return status;
      for (int64_t d : out)
        if (d < 0 || d > (int64_t(1) << 40))
          return Status::error("output_shape value out of range");
      if (static_cast<int64_t>(out.size()) != x.rank)
        return Status::error("output_shape has the wrong length");
    } else {
      kernels::Window window;
      windowOf(p, p.kernel, window);
      out = {x.dims[0], x.dims[1]};
      for (size_t i = 0; i < window.kernel.size(); ++i) {
        __int128 size = __int128(x.dims[2 + i] - 1) * window.strides[i] + window.kernel[i] -
                        window.padBegin[i] - window.padEnd[i];
        if (size < 0 || size > (int64_t(1) << 40))
          return Status::error("output dim out of range");
        out.push_back(static_cast<int64_t>(size));
      }
    }
    dims = {out};
    return Status::ok();
  });
}

Status runMaxUnpool(const OpArgs &args) {
  return withParams<WindowParams>(args, "max_unpool", [&](const WindowParams &p) {
    size_t spatial = p.kernel.size();
    kernels::MaxUnpoolParams params;
    params.kernel = p.kernel;
    params.strides = p.strides.size() == spatial ? p.strides : Dims(spatial, 1);
    params.pads = p.pads.size() == 2 * spatial ? p.pads : Dims(2 * spatial, 0);
    return kernels::maxUnpool(params, args.operand(0), args.operand(1), args.result(0));
  });
}

} // namespace

void addConvKernels(std::vector<OpKernel> &table) {
  table.push_back({"conv", {2, 3, 1, 1}, "T T T -> T", runConvolution<false>, convDims});
  table.push_back(
      {"conv_transpose", {2, 3, 1, 1}, "T T T -> T", runConvolution<true>, convTransposeDims});
  table.push_back({"pool", {1, 1, 1, 2}, "T -> T L", runPool, poolDims});
  table.push_back({"global_pool", {1, 1, 1, 1}, "T -> T", runGlobalPool, globalPoolDims});
  table.push_back({"max_unpool", {2, 3, 1, 1}, "T L * -> T", runMaxUnpool, maxUnpoolDims});
}

} // namespace dlrt::ops
