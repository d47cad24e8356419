//===- Signal.cpp - dft and stft (ONNX semantics) ------------------------===//
//
// Complex values are a trailing dim of 2 (real, imaginary); real input may
// have a trailing dim of 1. dft(x, [length]) transforms along `axis`
// (zero-padding or truncating to `length`), `inverse` divides by n and
// flips the exponent's sign, `onesided` keeps the n/2 + 1 non-redundant
// bins. stft(signal, step, window) transforms windowed frames of the
// signal, frame length = window length, onesided by default.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "ops/OpParams.h"
#include "kernels/Signal.h"

#include <cmath>
#include <complex>

namespace dlc {
namespace {

using namespace kernels;

bool complexLast(const TensorType &type) {
  return type.hasRank() && type.rank() >= 1 &&
         (type.dim(type.rank() - 1) == Dim(1) || type.dim(type.rank() - 1) == Dim(2));
}

LogicalResult inferDft(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  if (x.rank() < 2 || !complexLast(x))
    return ctx.error("expects [..., n, 1 or 2], got " + x.str());
  int64_t axis;
  if (failed(ctx.normalizeAxis(ctx.intAttr("axis"), x.rank() - 1, axis)))
    return failure();
  std::vector<Dim> dims = x.dims();
  dims.back() = Dim(2);
  Dim length = x.dim(axis);
  if (ctx.numOperands() == 2) {
    std::optional<std::vector<int64_t>> given = ctx.constantInts(1);
    length = given && !given->empty() && given->front() >= 0 &&
                     given->front() <= kMaxDimSize
                 ? Dim(given->front())
                 : Dim::unknown();
  }
  if (ctx.intAttr("onesided"))
    length = length.isStatic() ? Dim(length.size() / 2 + 1) : Dim::unknown();
  dims[axis] = length;
  ctx.addResult(TensorType(x.dtype(), std::move(dims)));
  return success();
}

/// Element `at` of a [..., 1 or 2] tensor as a complex number.

LogicalResult inferStft(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)) || failed(ctx.expectSameDType(0, 2)) ||
      failed(ctx.expectDType(1, kIndexTypes)))
    return failure();
  const TensorType &signal = ctx.operandType(0), &window = ctx.operandType(2);
  if (!signal.hasRank() || !window.hasRank()) {
    ctx.addResult(TensorType::unranked(signal.dtype()));
    return success();
  }
  if (signal.rank() != 3 || !complexLast(signal) || window.rank() != 1)
    return ctx.error("expects signal [batch, length, 1 or 2] and a 1-D window, got " +
                     signal.str() + " and " + window.str());
  Dim frames = Dim::unknown(), bins = Dim::unknown();
  const Dim &length = window.dim(0);
  std::optional<std::vector<int64_t>> step = ctx.constantInts(1);
  if (step && !step->empty() && step->front() > 0 && length.isStatic() &&
      signal.dim(1).isStatic() && signal.dim(1).size() >= length.size())
    frames = Dim((signal.dim(1).size() - length.size()) / step->front() + 1);
  if (length.isStatic())
    bins = Dim(ctx.intAttr("onesided") ? length.size() / 2 + 1 : length.size());
  ctx.addResult(TensorType(signal.dtype(), {signal.dim(0), frames, bins, Dim(2)}));
  return success();
}

} // namespace

void registerSignalOps(OpRegistry &registry) {
  using dlrt::ops::LoweredOp;
  registry.add({"dft", "signal", 1, 2,
                {{"axis", AttrKind::Int, false, 1},
                 {"inverse", AttrKind::Int, false, 0},
                 {"onesided", AttrKind::Int, false, 0}},
                inferDft, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "dft", dlrt::ops::DftOpParams{c.intAttr("axis"),
                                                                  c.intAttr("inverse") != 0,
                                                                  c.intAttr("onesided") != 0});
                }});
  registry.add({"stft", "signal", 3, 3, {{"onesided", AttrKind::Int, false, 1}},
                inferStft, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "stft", dlrt::ops::StftParams{c.intAttr("onesided") != 0});
                }});
}

} // namespace dlc
