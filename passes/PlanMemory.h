//===- PlanMemory.h - Buffer liveness and arena offsets ---------*- C++ -*-===//
//
// The memory plan of a graph (the host program or a kernel graph after
// split): every value that needs a buffer, its size, its live range and,
// for buffers of static size, an offset in one arena, so that buffers whose
// live ranges overlap never overlap in memory. Buffers whose size is still
// symbolic get their memory at run time (from their size expression).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PASSES_PLANMEMORY_H
#define DLC_PASSES_PLANMEMORY_H

#include "ir/Graph.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

/// Buffers are placed at multiples of this (cache lines, SIMD loads).
inline constexpr int64_t kBufferAlignment = 64;

struct BufferPlan {
  const Value *value;
  /// Bytes of a static buffer (aligned), or -1 if its size is symbolic.
  int64_t bytes = -1;
  /// The size in bytes as an expression, for symbolic buffers.
  std::string symbolicBytes;
  /// Arena offset of a static buffer; -1 for symbolic ones.
  int64_t offset = -1;
  /// Live from the node at `first` to the node at `last` (graph order;
  /// nodes.size() means "returned by the graph").
  size_t first = 0, last = 0;
  /// Values sharing this buffer: shape-only ops (reshape, squeeze, ...)
  /// whose results view their operand's memory ...
  std::vector<const Value *> views;
  /// ... and elementwise results written over it in place.
  std::vector<const Value *> inPlace;
};

struct MemoryPlan {
  std::vector<BufferPlan> buffers;
  /// The arena the static buffers need: the peak of live memory as placed.
  int64_t arenaBytes = 0;
  /// The sum of the static results' sizes (what allocating each result
  /// separately would cost; views excluded).
  int64_t totalBytes = 0;
};

/// Plans the buffers of the nodes of `graph` (not its nested graphs, which
/// are planned on their own). Symbols in `bindings` are substituted first.
/// Without `placeReturned`, buffers the graph returns get no offset (they
/// outlive the graph's arena: code generation gives them their own memory).
MemoryPlan planMemory(const Graph &graph,
                      const std::map<std::string, int64_t, std::less<>> &bindings = {},
                      bool placeReturned = true);

/// The memory of a whole program (graph @main and everything it runs).
struct ProgramMemory {
  /// Planned peak: each graph's arena plus, at its largest, the peak of the
  /// graphs it runs (a call, the larger branch of an if, one iteration of a
  /// loop body: iterations reuse the same memory).
  int64_t peakBytes = 0;
  /// Every static buffer of every graph allocated on its own.
  int64_t totalBytes = 0;
  /// Buffers whose size is known only at run time (not counted above).
  int64_t runtimeSized = 0;
};
ProgramMemory planProgramMemory(const Module &module,
                                const std::map<std::string, int64_t, std::less<>> &bindings = {});

/// The plan of every graph of the module as text: one table per graph.
std::string printMemoryPlans(const Module &module,
                             const std::map<std::string, int64_t, std::less<>> &bindings = {});

} // namespace dlc

#endif // DLC_PASSES_PLANMEMORY_H
