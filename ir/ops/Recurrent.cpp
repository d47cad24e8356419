//===- Recurrent.cpp - rnn, gru and lstm (ONNX semantics) ----------------===//
//
// Operands (all present; the frontend materializes ONNX's optional ones):
//   rnn/gru: X, W, R, B, sequence_lens, initial_h
//   lstm:    X, W, R, B, sequence_lens, initial_h, initial_c, P
// X is [seq, batch, input]; W [dirs, gates*hidden, input]; R [dirs,
// gates*hidden, hidden]; B [dirs, 2*gates*hidden] (input then recurrent
// biases); P [dirs, 3*hidden] (peepholes i, o, f). Gate order: lstm i o f c,
// gru z r h. Results: Y [seq, dirs, batch, hidden], Y_h [dirs, batch,
// hidden] and, for lstm, Y_c. Activations are ONNX's defaults (sigmoid and
// tanh); `clip` bounds every pre-activation. Steps past a batch entry's
// sequence length produce zeros and leave its state unchanged.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

#include <cmath>

namespace dlc {
namespace {

using namespace kernels;

enum class Cell { Rnn, Gru, Lstm };

int gatesOf(Cell cell) { return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4; }

Cell cellOf(const Node &node) {
  return node.is(OpId::Lstm) ? Cell::Lstm
         : node.is(OpId::Gru) ? Cell::Gru : Cell::Rnn;
}

LogicalResult inferRecurrent(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  for (size_t i : {1, 2, 3, 5})
    if (failed(ctx.expectSameDType(0, i)))
      return failure();
  if (failed(ctx.expectDType(4, kIndexTypes)))
    return failure();
  Cell cell = cellOf(ctx.node());
  std::string direction = ctx.stringAttr("direction");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return ctx.error("direction must be forward, reverse or bidirectional");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  DType dtype = ctx.operandType(0).dtype();
  const TensorType &x = ctx.operandType(0), &r = ctx.operandType(2);
  // The results' ranks are fixed by the op; their dims come from whichever
  // operands have known ranks (exporters often leave them unknown inside
  // nested graphs), else from hidden_size.
  if ((x.hasRank() && x.rank() != 3) || (r.hasRank() && r.rank() != 3))
    return ctx.error("expects X [seq, batch, input] and R [dirs, gates*hidden, "
                     "hidden], got " + x.str() + " and " + r.str());
  const Attribute *hiddenSize = ctx.node().attr("hidden_size");
  Dim hidden = r.hasRank()                           ? r.dim(2)
               : hiddenSize && hiddenSize->getInt() >= 0 &&
                       hiddenSize->getInt() <= kMaxDimSize
                   ? Dim(hiddenSize->getInt())
                   : Dim::unknown();
  Dim seq = x.hasRank() ? x.dim(0) : Dim::unknown();
  Dim batch = x.hasRank() ? x.dim(1) : Dim::unknown();
  if (r.hasRank() && r.dim(1).isStatic() && hidden.isStatic() &&
      r.dim(1).size() != gatesOf(cell) * hidden.size())
    return ctx.error("R " + r.str() + " does not have " +
                     std::to_string(gatesOf(cell)) + " gates of the hidden size");
  if (r.hasRank() && r.dim(0).isStatic() && r.dim(0).size() != dirs)
    return ctx.error("R has " + r.dim(0).str() + " directions, expected " +
                     std::to_string(dirs));
  ctx.addResult(TensorType(dtype, {seq, Dim(dirs), batch, hidden}));
  ctx.addResult(TensorType(dtype, {Dim(dirs), batch, hidden}));
  if (cell == Cell::Lstm)
    ctx.addResult(TensorType(dtype, {Dim(dirs), batch, hidden}));
  return success();
}

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

LogicalResult evalRecurrent(EvalContext &ctx) {
  Cell cell = cellOf(ctx.node());
  const Tensor &x = ctx.input(0), &w = ctx.input(1), &r = ctx.input(2),
               &b = ctx.input(3), &lens = ctx.input(4), &h0 = ctx.input(5);
  Tensor *y = ctx.addInferredOutput();
  Tensor *yh = y ? ctx.addInferredOutput() : nullptr;
  Tensor *yc = cell == Cell::Lstm && yh ? ctx.addInferredOutput() : nullptr;
  if (!yh || (cell == Cell::Lstm && !yc))
    return failure();
  Shape xs = shapeOf(x);
  int64_t seq = xs[0], batch = xs[1], input = xs[2];
  int64_t hidden = shapeOf(r)[2], gates = gatesOf(cell);
  int64_t dirs = shapeOf(r)[0];
  if (shapeOf(w) != Shape{dirs, gates * hidden, input} ||
      shapeOf(b) != Shape{dirs, 2 * gates * hidden} ||
      shapeOf(h0) != Shape{dirs, batch, hidden} || lens.numElements() != batch)
    return ctx.error("operand shapes do not match X " + x.type().str() +
                     " and R " + r.type().str());
  bool reverseOnly = ctx.stringAttr("direction") == "reverse";
  double clip = ctx.floatAttr("clip");
  bool inputForget = cell == Cell::Lstm && ctx.intAttr("input_forget");
  bool linearBeforeReset = cell == Cell::Gru && ctx.intAttr("linear_before_reset");
  auto bound = [&](double v) {
    return clip > 0 ? std::clamp(v, -clip, clip) : v;
  };

  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = reverseOnly || d == 1;
    for (int64_t n = 0; n < batch; ++n) {
      int64_t length = std::clamp<int64_t>(lens.getInt(n), 0, seq);
      std::vector<double> h(hidden), c(hidden, 0.0);
      for (int64_t j = 0; j < hidden; ++j) {
        h[j] = h0.getDouble((d * batch + n) * hidden + j);
        if (cell == Cell::Lstm)
          c[j] = ctx.input(6).getDouble((d * batch + n) * hidden + j);
      }
      for (int64_t step = 0; step < length; ++step) {
        int64_t t = reverse ? length - 1 - step : step;
        // gate[g][j] = x_t . W[g*hidden + j] + Wb, and rec[g][j] = h . R + Rb.
        std::vector<std::vector<double>> in(gates, std::vector<double>(hidden)),
            rec(gates, std::vector<double>(hidden));
        for (int64_t g = 0; g < gates; ++g)
          for (int64_t j = 0; j < hidden; ++j) {
            int64_t row = g * hidden + j;
            double a = b.getDouble(d * 2 * gates * hidden + row);
            for (int64_t k = 0; k < input; ++k)
              a += x.getDouble((t * batch + n) * input + k) *
                   w.getDouble((d * gates * hidden + row) * input + k);
            double rsum = b.getDouble(d * 2 * gates * hidden + gates * hidden + row);
            for (int64_t k = 0; k < hidden; ++k)
              rsum += h[k] * r.getDouble((d * gates * hidden + row) * hidden + k);
            in[g][j] = a;
            rec[g][j] = rsum;
          }
        std::vector<double> next(hidden);
        if (cell == Cell::Rnn) {
          for (int64_t j = 0; j < hidden; ++j)
            next[j] = std::tanh(bound(in[0][j] + rec[0][j]));
        } else if (cell == Cell::Gru) {
          for (int64_t j = 0; j < hidden; ++j) {
            double z = sigmoid(bound(in[0][j] + rec[0][j]));
            double rg = sigmoid(bound(in[1][j] + rec[1][j]));
            double candidate;
            if (linearBeforeReset) {
              candidate = std::tanh(bound(in[2][j] + rg * rec[2][j]));
            } else {
              // (r . h) R_h^T + Rb_h, recomputed with the reset applied.
              double a = b.getDouble(d * 2 * gates * hidden + gates * hidden + 2 * hidden + j);
              for (int64_t k = 0; k < hidden; ++k)
                a += sigmoid(bound(in[1][k] + rec[1][k])) * h[k] *
                     r.getDouble((d * gates * hidden + 2 * hidden + j) * hidden + k);
              candidate = std::tanh(bound(in[2][j] + a));
            }
            next[j] = (1 - z) * candidate + z * h[j];
          }
        } else {
          const Tensor &p = ctx.input(7);
          for (int64_t j = 0; j < hidden; ++j) {
            double peepI = p.getDouble(d * 3 * hidden + j);
            double peepO = p.getDouble(d * 3 * hidden + hidden + j);
            double peepF = p.getDouble(d * 3 * hidden + 2 * hidden + j);
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
          y->setDouble(((t * dirs + d) * batch + n) * hidden + j, h[j]);
      }
      for (int64_t j = 0; j < hidden; ++j) {
        yh->setDouble((d * batch + n) * hidden + j, h[j]);
        if (yc)
          yc->setDouble((d * batch + n) * hidden + j, c[j]);
      }
    }
  }
  return success();
}

} // namespace

void registerRecurrentOps(OpRegistry &registry) {
  std::vector<AttrSpec> common = {{"direction", AttrKind::String, false, "forward"},
                                  {"clip", AttrKind::Float, false, 0.0},
                                  {"hidden_size", AttrKind::Int}};
  registry.add({"rnn", "recurrent", 6, 6, common, inferRecurrent, evalRecurrent});
  std::vector<AttrSpec> gru = common;
  gru.push_back({"linear_before_reset", AttrKind::Int, false, int64_t(0)});
  registry.add({"gru", "recurrent", 6, 6, gru, inferRecurrent, evalRecurrent});
  std::vector<AttrSpec> lstm = common;
  lstm.push_back({"input_forget", AttrKind::Int, false, int64_t(0)});
  registry.add({"lstm", "recurrent", 8, 8, lstm, inferRecurrent, evalRecurrent});
}

} // namespace dlc
