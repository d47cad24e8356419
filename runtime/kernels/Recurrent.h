//===- Recurrent.h - Reference kernels of rnn, gru and lstm ----*- C++ -*-===//
//
// ONNX RNN, GRU and LSTM (both layouts resolved by the caller to
// [seq, batch, input]; forward, reverse or bidirectional; clip; GRU's
// linear_before_reset; LSTM's peepholes and input_forget), in double.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_RECURRENT_H
#define DLRT_KERNELS_RECURRENT_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

enum class RecurrentCell : uint8_t { Rnn, Gru, Lstm };

struct RecurrentParams {
  RecurrentCell cell{};
  bool reverseOnly = false; ///< direction "reverse" (bidirectional: 2 dirs in R)
  double clip = 0;          ///< 0: no clipping
  bool inputForget = false;
  bool linearBeforeReset = false;
  template <typename V> void fields(V &v) {
    v(cell)(reverseOnly)(clip)(inputForget)(linearBeforeReset);
  }
};

struct RecurrentOperands {
  BufferView x, w, r, b, lengths, h0;
  BufferView c0, peepholes; ///< LSTM only
};

/// y [seq, dirs, batch, hidden] (zero past each sequence's length), yh
/// [dirs, batch, hidden] and, for LSTM, yc.
Status recurrent(const RecurrentParams &params, const RecurrentOperands &operands,
                 const BufferView &y, const BufferView &yh, const BufferView &yc);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_RECURRENT_H
