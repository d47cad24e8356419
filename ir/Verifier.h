//===- Verifier.h - Check that IR is well formed --------------*- C++ -*-===//
//
// The verifier checks, for every graph (nested ones included):
//   1. SSA: each operand and capture is defined earlier in the same graph
//      (an input or an earlier node's result); values of an enclosing graph
//      reach a nested graph only as captures; outputs are defined.
//   2. Attributes: every attribute is declared by the op with that kind, and
//      required ones are present; region signatures are checked by the op.
//   3. Types: declared result types agree with the op's inference
//      (TensorType::compatibleWith: same dtype, dims equal where both known).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_VERIFIER_H
#define DLC_IR_VERIFIER_H

#include "ir/Graph.h"

namespace dlc {

/// Verifies every graph of `module`; emits an error per problem found.
LogicalResult verifyModule(const Module &module, Diagnostics &diag);

/// Verifies one graph and its nested graphs.
LogicalResult verifyGraph(const Graph &graph, Diagnostics &diag);

} // namespace dlc

#endif // DLC_IR_VERIFIER_H
