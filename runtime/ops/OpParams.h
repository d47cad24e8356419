//===- OpParams.h - Params of the op entry points ---------------*- C++ -*-===//
//
// The params struct of each entry point whose kernel takes loose arguments
// rather than a params struct of the kernel library. The compiler encodes
// them (ir/ops decodes nodes into them), the entry points decode them.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_OPPARAMS_H
#define DLRT_OPS_OPPARAMS_H

#include "kernels/Elementwise.h"

namespace dlrt::ops {

struct BinaryParams {
  kernels::BinaryOp op = kernels::BinaryOp::Add;
  template <typename V> void fields(V &v) { v(op); }
};

} // namespace dlrt::ops

#endif // DLRT_OPS_OPPARAMS_H
