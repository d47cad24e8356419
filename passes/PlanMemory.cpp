//===- PlanMemory.cpp - Buffer liveness and arena offsets -----------------===//
//
// 1. Number the graph's nodes. Each node result needs a buffer, except
//    constants and weights (they live in the weights), the results of
//    shape-only ops, which view their operand's buffer (the view's uses
//    keep that buffer alive), and the result of an elementwise op that can
//    take over the buffer of an operand of its size read by no later node.
// 2. A buffer is live from its defining node to its last use: an operand or
//    capture of a later node (uses inside nested graphs arrive through the
//    owning node's captures), or the end if the graph returns it.
// 3. Sizes come from the types, after substituting the bound symbols;
//    a size that stays symbolic is left to run time.
// 4. Static buffers are placed largest first, each at the lowest aligned
//    offset that overlaps no placed buffer whose live range overlaps its own
//    (the greedy-by-size strategy of TFLite's arena planner).
//
//===----------------------------------------------------------------------===//

#include "passes/PlanMemory.h"

#include "ir/OpRegistry.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <unordered_map>

namespace dlc {
namespace {

int64_t alignUp(int64_t bytes) {
  return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

/// The type with bound symbols substituted.
TensorType bind(const TensorType &type,
                const std::map<std::string, int64_t, std::less<>> &bindings) {
  if (!type.hasRank() || bindings.empty())
    return type;
  std::vector<Dim> dims;
  for (const Dim &dim : type.dims())
    dims.push_back(dim.isSymbolic() ? Dim::fromExpr(dim.expr().substitute(bindings)) : dim);
  return TensorType(type.dtype(), std::move(dims));
}

} // namespace

MemoryPlan planMemory(const Graph &graph,
                      const std::map<std::string, int64_t, std::less<>> &bindings,
                      bool placeReturned) {
  MemoryPlan plan;
  // Last use of every value: an operand or capture of a node, or the end.
  std::unordered_map<const Value *, size_t> lastUse;
  size_t end = 0;
  for (const auto &node : graph.nodes()) {
    for (const Value *operand : node->operands())
      lastUse[operand] = end;
    for (const Value *capture : node->captures())
      lastUse[capture] = end;
    ++end;
  }
  for (const Value *output : graph.outputs())
    lastUse[output] = end;

  std::unordered_map<const Value *, size_t> bufferOf; // value -> index in plan
  auto share = [&](const Value *value, size_t buffer) {
    bufferOf[value] = buffer;
    BufferPlan &b = plan.buffers[buffer];
    b.last = std::max(b.last, lastUse.count(value) ? lastUse[value] : b.first);
  };
  size_t position = 0;
  for (const auto &node : graph.nodes()) {
    if (!node->def().has(OpTrait::ConstantLike)) {
      for (size_t i = 0; i < node->numResults(); ++i) {
        const Value *result = node->result(i);
        // A shape-only op's result views its operand's buffer.
        auto source = i == 0 && node->def().has(OpTrait::ShapeOnly)
                          ? bufferOf.find(node->operand(0))
                          : bufferOf.end();
        if (source != bufferOf.end()) {
          plan.buffers[source->second].views.push_back(result);
          share(result, source->second);
          continue;
        }
        BufferPlan buffer;
        buffer.value = result;
        buffer.first = position;
        TensorType type = bind(result->type(), bindings);
        if (std::optional<int64_t> bytes = Tensor::payloadBytes(type)) {
          buffer.bytes = alignUp(*bytes);
        } else if (type.hasRank()) {
          SymExpr count(dtypeSize(type.dtype()));
          for (const Dim &dim : type.dims())
            count = count * dim.expr();
          buffer.symbolicBytes = count.valid() ? count.str() : "?";
        } else {
          buffer.symbolicBytes = "?";
        }
        // An elementwise op may write over an operand of its own type (so
        // not one it broadcasts, whose element 0 every result element
        // reads) that no later node reads: element i is read before it is
        // written.
        if (node->def().has(OpTrait::Elementwise) && node->numResults() == 1 &&
            buffer.bytes >= 0) {
          for (const Value *operand : node->operands()) {
            auto it = bufferOf.find(operand);
            if (it == bufferOf.end())
              continue;
            BufferPlan &candidate = plan.buffers[it->second];
            if (candidate.last == position && bind(operand->type(), bindings) == type) {
              candidate.inPlace.push_back(result);
              share(result, it->second);
              break;
            }
          }
          if (bufferOf.count(result))
            continue;
        }
        buffer.last = lastUse.count(result) ? lastUse[result] : position;
        bufferOf[result] = plan.buffers.size();
        plan.buffers.push_back(std::move(buffer));
      }
    }
    ++position;
  }

  std::vector<size_t> order;
  for (size_t i = 0; i < plan.buffers.size(); ++i)
    if (plan.buffers[i].bytes >= 0) {
      plan.totalBytes += plan.buffers[i].bytes * int64_t(1 + plan.buffers[i].inPlace.size());
      if (placeReturned || plan.buffers[i].last < end)
        order.push_back(i);
    }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return plan.buffers[a].bytes > plan.buffers[b].bytes;
  });
  std::vector<size_t> placed;
  for (size_t index : order) {
    BufferPlan &buffer = plan.buffers[index];
    // Placed buffers alive at the same time, by offset.
    std::vector<const BufferPlan *> conflicts;
    for (size_t other : placed) {
      const BufferPlan &p = plan.buffers[other];
      if (p.first <= buffer.last && buffer.first <= p.last)
        conflicts.push_back(&p);
    }
    std::sort(conflicts.begin(), conflicts.end(),
              [](const BufferPlan *a, const BufferPlan *b) { return a->offset < b->offset; });
    int64_t offset = 0;
    for (const BufferPlan *p : conflicts) {
      if (offset + buffer.bytes <= p->offset)
        break; // fits in the gap before p
      offset = std::max(offset, p->offset + p->bytes);
    }
    buffer.offset = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + buffer.bytes);
    placed.push_back(index);
  }
  return plan;
}

namespace {

std::string valueName(const Value *value) {
  return value->name().empty() ? "%" + std::to_string(value->index()) : "%" + value->name();
}

void printGraph(std::ostringstream &out, const Graph &graph, const std::string &title,
                const std::map<std::string, int64_t, std::less<>> &bindings) {
  MemoryPlan plan = planMemory(graph, bindings);
  out << "memory plan of " << title << ": arena " << plan.arenaBytes << " bytes, sum of "
      << "buffers " << plan.totalBytes << " bytes";
  size_t dynamic = 0;
  for (const BufferPlan &buffer : plan.buffers)
    dynamic += buffer.bytes < 0;
  if (dynamic)
    out << ", " << dynamic << " sized at run time";
  out << "\n";
  for (const BufferPlan &buffer : plan.buffers) {
    out << "  " << valueName(buffer.value) << ": ";
    if (buffer.bytes >= 0)
      out << buffer.bytes << " bytes at " << buffer.offset;
    else
      out << buffer.symbolicBytes << " bytes at run time";
    out << ", live " << buffer.first << ".." << buffer.last;
    for (const Value *view : buffer.views)
      out << ", view " << valueName(view);
    for (const Value *reuse : buffer.inPlace)
      out << ", in place " << valueName(reuse);
    out << "\n";
  }
  for (const auto &node : graph.nodes())
    for (const auto &[name, attr] : node->attrs())
      if (attr.kind() == AttrKind::Graph)
        printGraph(out, attr.getGraph(), title + " / " + std::string(node->opName()) + " " + name,
                   bindings);
}

} // namespace

ProgramMemory planProgramMemory(const Module &module,
                                const std::map<std::string, int64_t, std::less<>> &bindings) {
  ProgramMemory total;
  std::map<const Graph *, int64_t> peaks;
  std::function<int64_t(const Graph &)> peakOf = [&](const Graph &graph) -> int64_t {
    if (auto it = peaks.find(&graph); it != peaks.end())
      return it->second;
    peaks[&graph] = 0; // a recursive call counts once
    MemoryPlan plan = planMemory(graph, bindings);
    total.totalBytes += plan.totalBytes;
    for (const BufferPlan &buffer : plan.buffers)
      total.runtimeSized += buffer.bytes < 0;
    int64_t nested = 0;
    for (const auto &node : graph.nodes()) {
      if (node->is(OpId::Call))
        if (const Graph *callee = module.graph(node->stringAttr("callee")))
          nested = std::max(nested, peakOf(*callee));
      for (const Graph *region : node->regions())
        nested = std::max(nested, peakOf(*region));
    }
    return peaks[&graph] = plan.arenaBytes + nested;
  };
  if (const Graph *main = module.graph("main"))
    total.peakBytes = peakOf(*main);
  return total;
}

std::string printMemoryPlans(const Module &module,
                             const std::map<std::string, int64_t, std::less<>> &bindings) {
  std::ostringstream out;
  for (const auto &graph : module.graphs())
    printGraph(out, *graph, "@" + graph->name(), bindings);
  return out.str();
}

} // namespace dlc
