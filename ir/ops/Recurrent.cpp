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
#include "kernels/Recurrent.h"

#include <memory>

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

LogicalResult lowerRecurrent(const InferContext &ctx, dlrt::ops::LoweredOp &op) {
  Cell cell = cellOf(ctx.node());
  dlrt::kernels::RecurrentParams params;
  params.cell = cell == Cell::Lstm  ? dlrt::kernels::RecurrentCell::Lstm
                : cell == Cell::Gru ? dlrt::kernels::RecurrentCell::Gru
                                    : dlrt::kernels::RecurrentCell::Rnn;
  params.reverseOnly = ctx.stringAttr("direction") == "reverse";
  params.clip = ctx.floatAttr("clip");
  params.inputForget = cell == Cell::Lstm && ctx.intAttr("input_forget");
  params.linearBeforeReset = cell == Cell::Gru && ctx.intAttr("linear_before_reset");
  return lowerTo(op, "recurrent", params);
}

} // namespace

void registerRecurrentOps(OpRegistry &registry) {
  std::vector<AttrSpec> common = {{"direction", AttrKind::String, false, "forward"},
                                  {"clip", AttrKind::Float, false, 0.0},
                                  {"hidden_size", AttrKind::Int}};
  registry.add({"rnn", "recurrent", 6, 6, common, inferRecurrent, lowerRecurrent});
  std::vector<AttrSpec> gru = common;
  gru.push_back({"linear_before_reset", AttrKind::Int, false, int64_t(0)});
  registry.add({"gru", "recurrent", 6, 6, gru, inferRecurrent, lowerRecurrent});
  std::vector<AttrSpec> lstm = common;
  lstm.push_back({"input_forget", AttrKind::Int, false, int64_t(0)});
  registry.add({"lstm", "recurrent", 8, 8, lstm, inferRecurrent, lowerRecurrent});
}

} // namespace dlc
