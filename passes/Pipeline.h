//===- Pipeline.h - Running passes, with instrumentation ------*- C++ -*-===//
//
// A pipeline is a comma-separated list of pass names
// ("infer-shapes,canonicalize"). Running it can print the IR before or after
// chosen passes (or after all, "(unchanged)" when a pass changed nothing, as
// Halide's lowering log does), dump every stage to numbered .dlir files,
// time the passes and verify the IR after each one.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_PASSES_PIPELINE_H
#define DLC_PASSES_PIPELINE_H

#include "ir/Printer.h"
#include "passes/Passes.h"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dlc {

struct PipelineOptions {
  std::vector<std::string> printBefore; ///< pass names
  std::vector<std::string> printAfter;  ///< pass names
  bool printAfterAll = false;
  /// If set, writes DIR/00-input.dlir and DIR/NN-PASS.dlir after each pass.
  std::string dumpDir;
  /// Prints a table of wall time per pass after the pipeline.
  bool timePasses = false;
#ifdef NDEBUG
  bool verifyEach = false;
#else
  bool verifyEach = true; ///< always on in Debug builds
#endif
  /// Where dumps and the timing table go; std::cerr if null.
  std::ostream *log = nullptr;
  /// How dumps print the IR (elided tensors, ...).
  PrintOptions print;
};

class Pipeline {
public:
  /// Parses "a,b,c". Unknown or empty names are errors naming the pass.
  static std::optional<Pipeline> parse(std::string_view text, Diagnostics &diag);

  const std::vector<const PassInfo *> &passes() const { return passes_; }

  /// Runs the passes in order; stops at the first that fails.
  LogicalResult run(Module &module, PassContext &context,
                    const PipelineOptions &options = {}) const;

private:
  std::vector<const PassInfo *> passes_;
};

} // namespace dlc

#endif // DLC_PASSES_PIPELINE_H
