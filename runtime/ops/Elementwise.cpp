//===- Elementwise.cpp - Entry points of the elementwise ops --------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Elementwise.h"

namespace dlrt::ops {
namespace {

Status runUnary(const OpArgs &args) {
  return withParams<kernels::UnaryParams>(args, "unary", [&](const auto &p) {
    return kernels::unary(p, args.operand(0), args.result(0));
  });
}

Status runBinary(const OpArgs &args) {
  return withParams<BinaryParams>(args, "binary", [&](const auto &p) {
    return kernels::binary(p.op, args.operand(0), args.operand(1), args.result(0));
  });
}

Status runWhere(const OpArgs &args) {
  return kernels::where(args.operand(0), args.operand(1), args.operand(2), args.result(0));
}

Status runClip(const OpArgs &args) {
  return kernels::clip(args.operand(0), args.optional(1), args.optional(2), args.result(0));
}

Status runCast(const OpArgs &args) { return kernels::cast(args.operand(0), args.result(0)); }

} // namespace

void addElementwiseKernels(std::vector<OpKernel> &table) {
  table.push_back({"unary", {1, 1, 1, 1}, "* -> *", runUnary, sameDims, OpMemory::InPlace});
  table.push_back(
      {"binary", {2, 2, 1, 1}, "* * -> *", runBinary, broadcastDims, OpMemory::InPlace});
  table.push_back(
      {"where", {3, 3, 1, 1}, "* * * -> *", runWhere, broadcastDims, OpMemory::InPlace});
  table.push_back({"clip", {1, 3, 1, 1}, "T T T -> T", runClip, sameDims, OpMemory::InPlace});
  table.push_back({"cast", {1, 1, 1, 1}, "* -> *", runCast, sameDims});
}

} // namespace dlrt::ops
