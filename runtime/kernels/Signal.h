//===- Signal.h - Reference kernels of dft and stft ------------*- C++ -*-===//
//
// ONNX DFT and STFT (real or complex input as a trailing dim of 1 or 2;
// output complex, trailing dim 2), as a direct O(n^2) transform in double.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_SIGNAL_H
#define DLRT_KERNELS_SIGNAL_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

struct DftParams {
  int64_t axis{};   ///< normalized, among the dims before the trailing one
  int64_t length{}; ///< the signal is zero-padded or truncated to this
  bool inverse{};
  template <typename V> void fields(V &v) { v(axis)(length)(inverse); }
};

/// out's size along the axis gives the number of bins (onesided halves it).
Status dft(const DftParams &params, const BufferView &x, const BufferView &out);

/// Frames of `window`'s length every `step` samples, each windowed and
/// transformed; out is [batch, frames, bins, 2].
Status stft(int64_t step, const BufferView &signal, const BufferView &window,
            const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_SIGNAL_H
