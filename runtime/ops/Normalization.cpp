//===- Normalization.cpp - Entry points of the normalizations -------------===//

#include "ops/Family.h"
#include "ops/OpParams.h"
#include "ops/Support.h"

#include "kernels/Normalization.h"

namespace dlrt::ops {
namespace {

Status runBatchNorm(const OpArgs &args) {
  return withParams<EpsilonParams>(args, "batch_norm", [&](const EpsilonParams &p) {
    return kernels::batchNorm(p.epsilon, args.operand(0), args.operand(1), args.operand(2),
                              args.operand(3), args.operand(4), args.result(0));
  });
}

Status runInstanceNorm(const OpArgs &args) {
  return withParams<EpsilonParams>(args, "instance_norm", [&](const EpsilonParams &p) {
    return kernels::instanceNorm(p.epsilon, args.operand(0), args.operand(1),
                                 args.operand(2), args.result(0));
  });
}

Status runLayerNorm(const OpArgs &args) {
  return withParams<LayerNormParams>(args, "layer_norm", [&](const LayerNormParams &p) {
    int64_t axis = 0;
    Status status = normalizeAxis(p.axis, args.operand(0).rank, axis);
    if (!status.isOk())
      return status;
    return kernels::layerNorm(axis, p.epsilon, args.operand(0), args.operand(1),
                              args.optional(2), args.result(0));
  });
}

Status runLrn(const OpArgs &args) {
  return withParams<kernels::LrnParams>(args, "lrn", [&](const auto &p) {
    return kernels::lrn(p, args.operand(0), args.result(0));
  });
}

} // namespace

void addNormalizationKernels(std::vector<OpKernel> &table) {
  table.push_back({"batch_norm", {5, 5, 1, 1}, "T T T T T -> T", runBatchNorm, sameDims});
  table.push_back({"instance_norm", {3, 3, 1, 1}, "T T T -> T", runInstanceNorm, sameDims});
  table.push_back({"layer_norm", {2, 3, 1, 1}, "T T T -> T", runLayerNorm, sameDims});
  table.push_back({"lrn", {1, 1, 1, 1}, "T -> T", runLrn, sameDims});
}

} // namespace dlrt::ops
