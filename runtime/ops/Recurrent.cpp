//===- Recurrent.cpp - Entry point of rnn, gru, lstm ----------------------===//

#include "ops/Family.h"
#include "ops/Support.h"

#include "kernels/Recurrent.h"

#include <algorithm>

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

/// y [seq, dirs, batch, hidden], y_h and y_c [dirs, batch, hidden] from x
/// [seq, batch, input] and r [dirs, gates * hidden, hidden].
Status recurrentDims(const OpArgs &args, std::vector<Dims> &dims) {
  if (args.numOperands < 6)
    return Status::error("recurrent: expected x, w, r, b, lengths, h0");
  const BufferView &x = args.operand(0), &r = args.operand(2);
  Status status = expectRank(x, 3, "recurrent", "the input");
  if (status.isOk())
    status = expectRank(r, 3, "recurrent", "the recurrence weights");
  if (!status.isOk())
    return status;
  int64_t seq = x.dims[0], batch = x.dims[1], dirs = r.dims[0], hidden = r.dims[2];
  Dims state = {dirs, batch, hidden};
  dims.resize(std::max<size_t>(dims.size(), 2), state);
  dims[0] = {seq, dirs, batch, hidden};
  for (size_t i = 1; i < dims.size(); ++i)
    dims[i] = state;
  return Status::ok();
}

} // namespace

void addRecurrentKernels(std::vector<OpKernel> &table) {
  table.push_back({"recurrent", {6, 8, 2, 3}, "* * * * * * * * -> * * *", runRecurrent,
                   recurrentDims});
}

} // namespace dlrt::ops
