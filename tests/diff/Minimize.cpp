//===- Minimize.cpp - Delta debugging over a failing module ---------------===//

#include "tests/diff/Minimize.h"

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/Passes.h"

#include <optional>

namespace dlc::difftest {
namespace {

/// `text` parsed, edited by `edit` (false: the edit does not apply), dead
/// code removed and printed; nullopt if the edit did not apply or the
/// result is not a valid module.
std::optional<std::string> edited(const std::string &text,
                                  const std::function<bool(Graph &)> &edit) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "candidate.dlir", diag);
  if (!module || !edit(*module->graph("main")))
    return std::nullopt;
  PassContext context(diag); // dce drops the weights no node reads too
  if (failed(eliminateDeadCode(*module, context)))
    return std::nullopt;
  return printModule(*module);
}

size_t nodeCount(const std::string &text) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "candidate.dlir", diag);
  size_t count = 0;
  if (module)
    module->walk([&](Node &) { ++count; });
  return count;
}

} // namespace

std::string minimize(const std::string &text,
                     const std::function<bool(const std::string &)> &fails) {
  std::string best = text;
  // The first value of @main that fails as the only output: everything
  // after it goes.
  size_t values = 0;
  (void)edited(best, [&](Graph &graph) {
    for (const auto &node : graph.nodes())
      values += node->results().size();
    return false;
  });
  for (size_t v = 0; v < values; ++v) {
    std::optional<std::string> candidate = edited(best, [&](Graph &graph) {
      size_t i = 0;
      for (const auto &node : graph.nodes())
        for (Value *result : node->results())
          if (i++ == v) {
            graph.setOutputs({result});
            return true;
          }
      return false;
    });
    if (candidate && fails(*candidate)) {
      best = *candidate;
      break;
    }
  }
  // Bypass nodes one at a time while that keeps the failure.
  for (bool changed = true; changed;) {
    changed = false;
    size_t nodes = 0;
    (void)edited(best, [&](Graph &graph) {
      nodes = graph.nodes().size();
      return false;
    });
    for (size_t n = 0; n < nodes; ++n) {
      std::optional<std::string> candidate = edited(best, [&](Graph &graph) {
        size_t i = 0;
        for (const auto &node : graph.nodes()) {
          if (i++ != n)
            continue;
          if (node->results().size() != 1)
            return false;
          Value *result = node->results()[0];
          for (Value *operand : node->operands())
            if (operand->type() == result->type() && operand != result) {
              result->replaceAllUsesWith(operand);
              return true;
            }
          return false;
        }
        return false;
      });
      if (candidate && nodeCount(*candidate) < nodeCount(best) && fails(*candidate)) {
        best = *candidate;
        changed = true;
        break;
      }
    }
  }
  return best;
}

} // namespace dlc::difftest
