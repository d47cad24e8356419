//===- Pipeline.cpp - Running passes, with instrumentation ----------------===//

#include "passes/Pipeline.h"

#include "ir/Check.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace dlc {

std::optional<Pipeline> Pipeline::parse(std::string_view text,
                                        Diagnostics &diag) {
  Pipeline pipeline;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view name = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    while (!name.empty() && name.front() == ' ')
      name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ')
      name.remove_suffix(1);
    const PassInfo *pass = lookupPass(name);
    if (!pass) {
      std::string known;
      for (const PassInfo &info : allPasses())
        known += (known.empty() ? "" : ", ") + std::string(info.name);
      (void)diag.error({}, name.empty()
                               ? "empty pass name in pipeline '" +
                                     std::string(text) + "'"
                               : "unknown pass '" + std::string(name) +
                                     "' (passes: " + known + ")");
      return std::nullopt;
    }
    pipeline.passes_.push_back(pass);
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return pipeline;
}

namespace {

bool contains(const std::vector<std::string> &names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

void printDump(std::ostream &log, std::string_view when, std::string_view pass,
               const Module &module, bool unchanged, const PrintOptions &print) {
  log << "// -----// IR Dump " << when << " " << pass
      << (unchanged ? " (unchanged)" : "") << " //----- //\n";
  if (!unchanged)
    log << printModule(module, print) << "\n";
}

LogicalResult writeDump(const std::string &dir, size_t index,
                        std::string_view stage, const Module &module,
                        const PrintOptions &print, Diagnostics &diag) {
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%02zu-", index);
  std::filesystem::path path =
      std::filesystem::path(dir) / (prefix + std::string(stage) + ".dlir");
  std::ofstream out(path);
  out << printModule(module, print);
  if (!out)
    return diag.error({}, "cannot write IR dump '" + path.string() + "'");
  return success();
}

} // namespace

LogicalResult Pipeline::run(Module &module, PassContext &context,
                            const PipelineOptions &options) const {
  std::ostream &log = options.log ? *options.log : std::cerr;
  Diagnostics &diag = context.diag;
  if (!options.dumpDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.dumpDir, ec);
    if (ec)
      return diag.error({}, "cannot create dump folder '" + options.dumpDir +
                                "': " + ec.message());
    if (failed(writeDump(options.dumpDir, 0, "input", module, options.print, diag)))
      return failure();
  }
  using Clock = std::chrono::steady_clock;
  std::vector<double> seconds(passes_.size(), 0.0);
  for (size_t i = 0; i < passes_.size(); ++i) {
    const PassInfo &pass = *passes_[i];
    if (contains(options.printBefore, pass.name))
      printDump(log, "Before", pass.name, module, false, options.print);
    uint64_t before = module.changeCount();
    size_t errorsBefore = diag.errors().size();
    Clock::time_point start = Clock::now();
    LogicalResult result = pass.run(module, context);
    seconds[i] = std::chrono::duration<double>(Clock::now() - start).count();
    if (failed(result)) {
      DLC_CHECK(diag.errors().size() > errorsBefore,
                "a pass failed without a diagnostic");
      return failure();
    }
    bool unchanged = module.changeCount() == before;
    if (options.printAfterAll || contains(options.printAfter, pass.name))
      printDump(log, "After", pass.name, module, unchanged, options.print);
    if (!options.dumpDir.empty() &&
        failed(writeDump(options.dumpDir, i + 1, pass.name, module, options.print, diag)))
      return failure();
    if (options.verifyEach && failed(verifyModule(module, diag)))
      return diag.error({}, "the IR does not verify after pass '" +
                                std::string(pass.name) +
                                "' (a compiler bug; please report it)");
  }
  if (options.timePasses) {
    double total = 0;
    for (double s : seconds)
      total += s;
    char line[160];
    log << "===- Pass execution timing report -===\n";
    log << "  Wall time (ms)   Share  Pass\n";
    for (size_t i = 0; i < passes_.size(); ++i) {
      std::snprintf(line, sizeof(line), "  %14.3f  %5.1f%%  %s\n",
                    seconds[i] * 1e3, total > 0 ? 100 * seconds[i] / total : 0.0,
                    std::string(passes_[i]->name).c_str());
      log << line;
    }
    std::snprintf(line, sizeof(line), "  %14.3f  %5.1f%%  Total\n", total * 1e3,
                  100.0);
    log << line;
  }
  return success();
}

} // namespace dlc
