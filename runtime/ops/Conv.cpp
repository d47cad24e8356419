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
  table.push_back({"conv", {2, 3, 1, 1}, "T T T -> T", runConvolution<false>});
  table.push_back({"conv_transpose", {2, 3, 1, 1}, "T T T -> T", runConvolution<true>});
  table.push_back({"pool", {1, 1, 1, 2}, "T -> T L", runPool});
  table.push_back({"global_pool", {1, 1, 1, 1}, "T -> T", runGlobalPool});
  table.push_back({"max_unpool", {2, 3, 1, 1}, "T L * -> T", runMaxUnpool, maxUnpoolDims});
}

} // namespace dlrt::ops
