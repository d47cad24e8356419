//===- Signal.cpp - Reference kernels of dft and stft ---------------------===//

#include "kernels/Signal.h"

#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <vector>

namespace dlrt::kernels {
namespace {

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

Complex complexAt(const std::vector<double> &x, int64_t at, int64_t parts) {
  return parts == 2 ? Complex(x[2 * at], x[2 * at + 1]) : Complex(x[at], 0);
}

} // namespace

Status dft(const DftParams &params, const BufferView &input, const BufferView &out) {
  std::vector<int64_t> xs(input.dims, input.dims + input.rank), os(out.dims, out.dims + out.rank);
  int64_t parts = xs.back();
  xs.pop_back();
  os.pop_back();
  int64_t axis = params.axis, n = params.length;
  std::vector<int64_t> xStrides = rowMajorStrides(xs.data(), int32_t(xs.size())),
                       oStrides = rowMajorStrides(os.data(), int32_t(os.size()));
  std::vector<double> x = loadAsDouble(input), result(out.numElements(), 0.0);
  // Every 1-D line along the axis: outer dims, then inner dims.
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= xs[d];
  for (size_t d = axis + 1; d < xs.size(); ++d)
    inner *= xs[d];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      int64_t xBase = o * xs[axis] * inner + j, oBase = o * os[axis] * inner + j;
      std::vector<Complex> signal(n, 0.0);
      for (int64_t t = 0; t < std::min(n, xs[axis]); ++t)
        signal[t] = complexAt(x, xBase + t * xStrides[axis], parts);
      std::vector<Complex> spectrum = transform(signal, os[axis], params.inverse);
      for (int64_t k = 0; k < os[axis]; ++k) {
        int64_t at = oBase + k * oStrides[axis];
        result[2 * at] = spectrum[k].real();
        result[2 * at + 1] = spectrum[k].imag();
      }
    }
  storeFromDouble(result, out);
  return Status::ok();
}

Status stft(int64_t step, const BufferView &signalView, const BufferView &windowView,
            const BufferView &out) {
  if (step <= 0)
    return Status::error("frame_step must be positive");
  const int64_t *ss = signalView.dims, *os = out.dims;
  std::vector<double> signal = loadAsDouble(signalView), window = loadAsDouble(windowView);
  std::vector<double> result(out.numElements(), 0.0);
  int64_t length = static_cast<int64_t>(window.size()), parts = ss[2];
  for (int64_t b = 0; b < ss[0]; ++b)
    for (int64_t f = 0; f < os[1]; ++f) {
      std::vector<Complex> frame(length);
      for (int64_t t = 0; t < length; ++t)
        frame[t] = complexAt(signal, b * ss[1] + f * step + t, parts) * window[t];
      std::vector<Complex> spectrum = transform(frame, os[2], false);
      for (int64_t k = 0; k < os[2]; ++k) {
        int64_t at = (b * os[1] + f) * os[2] + k;
        result[2 * at] = spectrum[k].real();
        result[2 * at + 1] = spectrum[k].imag();
      }
    }
  storeFromDouble(result, out);
  return Status::ok();
}

} // namespace dlrt::kernels
