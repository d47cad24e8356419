//===- Dot.h - Graphviz rendering of a module ------------------*- C++ -*-===//
//
// `dlc opt --dot=FILE`: one digraph per module; each top-level graph and
// each nested graph is a cluster, values flow along edges, captures enter a
// nested graph through its inputs.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_DOT_H
#define DLC_IR_DOT_H

#include "ir/Graph.h"

#include <string>

namespace dlc {

/// The module as a Graphviz digraph.
std::string printDot(const Module &module);

} // namespace dlc

#endif // DLC_IR_DOT_H
