//===- Recurrent.cpp - Entry point of rnn, gru, lstm ----------------------===//

#include "ops/Family.h"

#include "kernels/Recurrent.h"

namespace dlrt::ops {
namespace {

Status runRecurrent(const OpArgs &args) {
  return withParams<kernels::RecurrentParams>(args, "recurrent", [&](const auto &p) {
    if (args.numOperands < 6 || args.numResults < 2)
      return Status::error("recurrent: expected x, w, r, b, lengths, h0");
    kernels::RecurrentOperands operands{args.operand(0), args.operand(1), args.operand(2),
                                        args.operand(3), args.operand(4), args.operand(5),
                                        args.optional(6), args.optional(7)};
    return kernels::recurrent(p, operands, args.result(0), args.result(1),
                              args.numResults > 2 ? args.result(2) : BufferView());
  });
}

} // namespace

void addRecurrentKernels(std::vector<OpKernel> &table) {
  table.push_back({"recurrent", {6, 8, 2, 3}, "* * * * * * * * -> * * *", runRecurrent});
}

} // namespace dlrt::ops
