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

#include <cmath>
#include <complex>

namespace dlc {
namespace {

using namespace kernels;
using Complex = std::complex<double>;

/// The discrete Fourier transform of `in`, `bins` outputs.
std::vector<Complex> transform(const std::vector<Complex> &in, int64_t bins,
                               bool inverse) {
  int64_t n = static_cast<int64_t>(in.size());
  std::vector<Complex> out(bins);
  double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < bins; ++k) {
    Complex sum = 0;
    for (int64_t t = 0; t < n; ++t)
      sum += in[t] * std::polar(1.0, sign * 2 * M_PI * double(k * t % n) / double(n));
    out[k] = inverse ? sum / double(n) : sum;
  }
  return out;
}

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
Complex complexAt(const Tensor &x, int64_t at, int64_t parts) {
  return parts == 2 ? Complex(x.getDouble(2 * at), x.getDouble(2 * at + 1))
                    : Complex(x.getDouble(at), 0);
}

LogicalResult evalDft(EvalContext &ctx) {
  const Tensor &x = ctx.input(0);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape xs = shapeOf(x), os = shapeOf(*out);
  int64_t parts = xs.back();
  xs.pop_back();
  os.pop_back();
  int64_t axis = ctx.axisAttr("axis", xs.size());
  int64_t n = ctx.numOperands() == 2 ? ctx.input(1).getInt(0) : xs[axis];
  bool inverse = ctx.intAttr("inverse");
  Shape xStrides = stridesOf(xs), oStrides = stridesOf(os);
  Shape outer = xs;
  outer[axis] = 1;
  forEachIndex(outer, [&](const Shape &index) {
    std::vector<Complex> signal(n, 0.0);
    for (int64_t t = 0; t < std::min(n, xs[axis]); ++t)
      signal[t] = complexAt(x, offsetOf(index, xStrides) + t * xStrides[axis], parts);
    std::vector<Complex> spectrum = transform(signal, os[axis], inverse);
    for (int64_t k = 0; k < os[axis]; ++k) {
      int64_t at = offsetOf(index, oStrides) + k * oStrides[axis];
      out->setDouble(2 * at, spectrum[k].real());
      out->setDouble(2 * at + 1, spectrum[k].imag());
    }
  });
  return success();
}

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

LogicalResult evalStft(EvalContext &ctx) {
  const Tensor &signal = ctx.input(0), &window = ctx.input(2);
  int64_t step = ctx.input(1).getInt(0);
  if (step <= 0)
    return ctx.error("frame_step must be positive");
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape ss = shapeOf(signal), os = shapeOf(*out);
  int64_t length = window.numElements(), parts = ss[2];
  for (int64_t b = 0; b < ss[0]; ++b)
    for (int64_t f = 0; f < os[1]; ++f) {
      std::vector<Complex> frame(length);
      for (int64_t t = 0; t < length; ++t)
        frame[t] = complexAt(signal, b * ss[1] + f * step + t, parts) * window.getDouble(t);
      std::vector<Complex> spectrum = transform(frame, os[2], false);
      for (int64_t k = 0; k < os[2]; ++k) {
        int64_t at = (b * os[1] + f) * os[2] + k;
        out->setDouble(2 * at, spectrum[k].real());
        out->setDouble(2 * at + 1, spectrum[k].imag());
      }
    }
  return success();
}

} // namespace

void registerSignalOps(OpRegistry &registry) {
  registry.add({"dft", "signal", 1, 2,
                {{"axis", AttrKind::Int, false, 1},
                 {"inverse", AttrKind::Int, false, 0},
                 {"onesided", AttrKind::Int, false, 0}},
                inferDft, evalDft});
  registry.add({"stft", "signal", 3, 3, {{"onesided", AttrKind::Int, false, 1}},
                inferStft, evalStft});
}

} // namespace dlc
