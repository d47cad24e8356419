//===- Family.h - Registration of the op entry points -----------*- C++ -*-===//
//
// Internal to runtime/ops: each family file adds its entry points to the
// table that findOpKernel searches.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_FAMILY_H
#define DLRT_OPS_FAMILY_H

#include "ops/Ops.h"

namespace dlrt::ops {

void addElementwiseKernels(std::vector<OpKernel> &table);
void addLinalgKernels(std::vector<OpKernel> &table);
void addNormalizationKernels(std::vector<OpKernel> &table);
void addReductionKernels(std::vector<OpKernel> &table);
void addShapeKernels(std::vector<OpKernel> &table);
void addIndexingKernels(std::vector<OpKernel> &table);
void addConvKernels(std::vector<OpKernel> &table);
void addRecurrentKernels(std::vector<OpKernel> &table);
void addGenerationKernels(std::vector<OpKernel> &table);
void addImageKernels(std::vector<OpKernel> &table);
void addSignalKernels(std::vector<OpKernel> &table);

/// Decodes params of type P, then runs fn(params): the common shape of an
/// entry point whose op has params.
template <typename P, typename Fn>
Status withParams(const OpArgs &args, std::string_view op, Fn &&fn) {
  P params;
  Status status = args.decode(params, op);
  if (!status.isOk())
    return status;
  return fn(params);
}

/// resultDims of an entry point whose kernel params and one result's dims
/// come from one planning function (decode, then derive from operands).
template <typename P, Status (*Plan)(const OpArgs &, P &, Dims &)>
Status plannedDims(const OpArgs &args, std::vector<Dims> &dims) {
  P params;
  Dims out;
  Status status = Plan(args, params, out);
  dims = {out};
  return status;
}

} // namespace dlrt::ops

#endif // DLRT_OPS_FAMILY_H
