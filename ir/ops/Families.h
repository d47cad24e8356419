//===- Families.h - Registration hooks of the op families -----*- C++ -*-===//
//
// Internal to ir/: one function per file under ir/ops/, called once when the
// registry is built. Adding a family means adding a file and a line here and
// in OpRegistry.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_OPS_FAMILIES_H
#define DLC_IR_OPS_FAMILIES_H

namespace dlc {
class OpRegistry;

void registerCoreOps(OpRegistry &registry);
void registerElementwiseOps(OpRegistry &registry);
void registerLinalgOps(OpRegistry &registry);
void registerConvOps(OpRegistry &registry);
void registerReductionOps(OpRegistry &registry);
void registerNormalizationOps(OpRegistry &registry);
void registerShapeOps(OpRegistry &registry);
void registerIndexingOps(OpRegistry &registry);
void registerControlFlowOps(OpRegistry &registry);
void registerGenerationOps(OpRegistry &registry);
void registerImageOps(OpRegistry &registry);
void registerRecurrentOps(OpRegistry &registry);
void registerSignalOps(OpRegistry &registry);
} // namespace dlc

#endif // DLC_IR_OPS_FAMILIES_H
