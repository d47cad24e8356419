//===- Recurrent.cpp - Reference kernels of rnn, gru and lstm -------------===//

#include "kernels/Recurrent.h"

#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dlrt::kernels {
namespace {

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

} // namespace

Status recurrent(const RecurrentParams &params, const RecurrentOperands &operands,
                 const BufferView &yView, const BufferView &yhView, const BufferView &ycView) {
  using Shape = std::vector<int64_t>;
  auto dims = [](const BufferView &v) { return Shape(v.dims, v.dims + v.rank); };
  RecurrentCell cell = params.cell;
  if (operands.x.rank != 3 || operands.r.rank != 3)
    return Status::error("recurrent: X and R need rank 3");
  Shape xs = dims(operands.x);
  int64_t seq = xs[0], batch = xs[1], input = xs[2];
  int64_t gates = cell == RecurrentCell::Lstm ? 4 : cell == RecurrentCell::Gru ? 3 : 1;
  int64_t hidden = operands.r.dims[2], dirs = operands.r.dims[0];
  if (dims(operands.w) != Shape{dirs, gates * hidden, input} ||
      dims(operands.b) != Shape{dirs, 2 * gates * hidden} ||
      dims(operands.h0) != Shape{dirs, batch, hidden} || operands.lengths.numElements() != batch ||
      dims(operands.r) != Shape{dirs, gates * hidden, hidden} ||
      (cell == RecurrentCell::Lstm && (dims(operands.c0) != Shape{dirs, batch, hidden} ||
                                       dims(operands.peepholes) != Shape{dirs, 3 * hidden})))
    return Status::error("operand shapes do not match X and R");
  if (dims(yView) != Shape{seq, dirs, batch, hidden} ||
      dims(yhView) != Shape{dirs, batch, hidden} ||
      (cell == RecurrentCell::Lstm && dims(ycView) != Shape{dirs, batch, hidden}))
    return Status::error("recurrent: the results' shapes do not match X and R");
  std::vector<double> x = loadAsDouble(operands.x), w = loadAsDouble(operands.w),
                      r = loadAsDouble(operands.r), b = loadAsDouble(operands.b),
                      lens = loadAsDouble(operands.lengths), h0 = loadAsDouble(operands.h0);
  std::vector<double> c0 = cell == RecurrentCell::Lstm ? loadAsDouble(operands.c0)
                                                       : std::vector<double>();
  std::vector<double> p = cell == RecurrentCell::Lstm ? loadAsDouble(operands.peepholes)
                                                      : std::vector<double>();
  std::vector<double> y(yView.numElements(), 0.0), yh(yhView.numElements(), 0.0),
      yc(cell == RecurrentCell::Lstm ? ycView.numElements() : 0, 0.0);
  bool reverseOnly = params.reverseOnly;
  double clip = params.clip;
  bool inputForget = cell == RecurrentCell::Lstm && params.inputForget;
  bool linearBeforeReset = cell == RecurrentCell::Gru && params.linearBeforeReset;
  auto bound = [&](double v) {
    return clip > 0 ? std::clamp(v, -clip, clip) : v;
  };

  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = reverseOnly || d == 1;
    for (int64_t n = 0; n < batch; ++n) {
      int64_t length = std::clamp<int64_t>(static_cast<int64_t>(lens[n]), 0, seq);
      std::vector<double> h(hidden), c(hidden, 0.0);
      for (int64_t j = 0; j < hidden; ++j) {
        h[j] = h0[(d * batch + n) * hidden + j];
        if (cell == RecurrentCell::Lstm)
          c[j] = c0[(d * batch + n) * hidden + j];
      }
      for (int64_t step = 0; step < length; ++step) {
        int64_t t = reverse ? length - 1 - step : step;
        // gate[g][j] = x_t . W[g*hidden + j] + Wb, and rec[g][j] = h . R + Rb.
        std::vector<std::vector<double>> in(gates, std::vector<double>(hidden)),
            rec(gates, std::vector<double>(hidden));
        for (int64_t g = 0; g < gates; ++g)
          for (int64_t j = 0; j < hidden; ++j) {
            int64_t row = g * hidden + j;
            double a = b.at(d * 2 * gates * hidden + row);
            for (int64_t k = 0; k < input; ++k)
              a += x.at((t * batch + n) * input + k) *
                   w.at((d * gates * hidden + row) * input + k);
            double rsum = b.at(d * 2 * gates * hidden + gates * hidden + row);
            for (int64_t k = 0; k < hidden; ++k)
              rsum += h[k] * r.at((d * gates * hidden + row) * hidden + k);
            in[g][j] = a;
            rec[g][j] = rsum;
          }
        std::vector<double> next(hidden);
        if (cell == RecurrentCell::Rnn) {
          for (int64_t j = 0; j < hidden; ++j)
            next[j] = std::tanh(bound(in[0][j] + rec[0][j]));
        } else if (cell == RecurrentCell::Gru) {
          for (int64_t j = 0; j < hidden; ++j) {
            double z = sigmoid(bound(in[0][j] + rec[0][j]));
            double rg = sigmoid(bound(in[1][j] + rec[1][j]));
            double candidate;
            if (linearBeforeReset) {
              candidate = std::tanh(bound(in[2][j] + rg * rec[2][j]));
            } else {
              // (r . h) R_h^T + Rb_h, recomputed with the reset applied.
              double a = b.at(d * 2 * gates * hidden + gates * hidden + 2 * hidden + j);
              for (int64_t k = 0; k < hidden; ++k)
                a += sigmoid(bound(in[1][k] + rec[1][k])) * h[k] *
                     r.at((d * gates * hidden + 2 * hidden + j) * hidden + k);
              candidate = std::tanh(bound(in[2][j] + a));
            }
            next[j] = (1 - z) * candidate + z * h[j];
          }
        } else {
                    for (int64_t j = 0; j < hidden; ++j) {
            double peepI = p.at(d * 3 * hidden + j);
            double peepO = p.at(d * 3 * hidden + hidden + j);
            double peepF = p.at(d * 3 * hidden + 2 * hidden + j);
            double i = sigmoid(bound(in[0][j] + rec[0][j] + peepI * c[j]));
            double f = inputForget ? 1 - i
                                   : sigmoid(bound(in[2][j] + rec[2][j] + peepF * c[j]));
            double g = std::tanh(bound(in[3][j] + rec[3][j]));
            c[j] = f * c[j] + i * g;
            double o = sigmoid(bound(in[1][j] + rec[1][j] + peepO * c[j]));
            next[j] = o * std::tanh(c[j]);
          }
        }
        h = next;
        for (int64_t j = 0; j < hidden; ++j)
          y[((t * dirs + d) * batch + n) * hidden + j] = h[j];
      }
      for (int64_t j = 0; j < hidden; ++j) {
        yh[(d * batch + n) * hidden + j] = h[j];
        if (cell == RecurrentCell::Lstm)
          yc[(d * batch + n) * hidden + j] = c[j];
      }
    }
  }
  storeFromDouble(y, yView);
  storeFromDouble(yh, yhView);
  if (cell == RecurrentCell::Lstm)
    storeFromDouble(yc, ycView);
  return Status::ok();
}

} // namespace dlrt::kernels
