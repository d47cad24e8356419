//===- Signal.cpp - Entry points of dft and stft --------------------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Signal.h"

namespace dlrt::ops {
namespace {

/// dft's kernel params and result dims (the length may be an operand).
Status dftPlan(const OpArgs &args, kernels::DftParams &params, Dims &dims) {
  DftOpParams p;
  Status status = args.decode(p, "dft");
  const BufferView &x = args.operand(0);
  if (status.isOk() && (x.rank < 2 || x.dims[x.rank - 1] < 1 || x.dims[x.rank - 1] > 2))
    status = Status::error("dft expects [..., n, 1 or 2]");
  if (status.isOk())
    status = normalizeAxis(p.axis, x.rank - 1, params.axis);
  if (!status.isOk())
    return status;
  params.inverse = p.inverse;
  params.length = x.dims[params.axis];
  if (args.numOperands > 1) {
    status = readInt(args.operand(1), params.length, "dft_length");
    if (!status.isOk())
      return status;
    if (params.length < 0 || params.length > (int64_t(1) << 40))
      return Status::error("dft_length is out of range");
  }
  dims = dimsOf(x);
  dims.back() = 2;
  dims[params.axis] = p.onesided ? params.length / 2 + 1 : params.length;
  return Status::ok();
}

Status runDft(const OpArgs &args) {
  kernels::DftParams params;
  Dims out;
  Status status = dftPlan(args, params, out);
  return status.isOk() ? kernels::dft(params, args.operand(0), args.result(0)) : status;
}

Status stftDims(const OpArgs &args, std::vector<Dims> &dims) {
  return withParams<StftParams>(args, "stft", [&](const StftParams &p) {
    const BufferView &signal = args.operand(0), &window = args.operand(2);
    int64_t step = 0;
    Status status = readInt(args.operand(1), step, "frame_step");
    if (!status.isOk())
      return status;
    if (step <= 0)
      return Status::error("frame_step must be positive");
    if (signal.rank != 3 || window.rank != 1 || signal.dims[2] < 1 || signal.dims[2] > 2)
      return Status::error("expects signal [batch, length, 1 or 2] and a 1-D window");
    int64_t length = window.dims[0];
    int64_t frames = signal.dims[1] >= length ? (signal.dims[1] - length) / step + 1 : 0;
    dims = {{signal.dims[0], frames, p.onesided ? length / 2 + 1 : length, 2}};
    return Status::ok();
  });
}

Status runStft(const OpArgs &args) {
  int64_t step = 0;
  Status status = readInt(args.operand(1), step, "frame_step");
  if (status.isOk() && step <= 0)
    status = Status::error("frame_step must be positive");
  return status.isOk() ? kernels::stft(step, args.operand(0), args.operand(2), args.result(0))
                       : status;
}

} // namespace

void addSignalKernels(std::vector<OpKernel> &table) {
  table.push_back(
      {"dft", {1, 2, 1, 1}, "* * -> *", runDft, plannedDims<kernels::DftParams, dftPlan>});
  table.push_back({"stft", {3, 3, 1, 1}, "* * * -> *", runStft, stftDims});
}

} // namespace dlrt::ops
