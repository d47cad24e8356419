//===- PassOptions.cpp - The pass flags every pass-running command takes -===//

#include "tools/dlc/Driver.h"

#include "codegen/program/EmitProgram.h"
#include "ir/Dot.h"
#include "passes/Pipeline.h"
#include "frontends/npy/Npy.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace dlc::tool {

CommandSpec withFlags(CommandSpec spec, const std::vector<FlagSpec> &more) {
  spec.flags.insert(spec.flags.end(), more.begin(), more.end());
  return spec;
}

std::vector<FlagSpec> passFlags() {
  return concat(modelFlags(), {
      {"passes", 0, true, "run this comma-separated pass pipeline", "PIPELINE"},
      {"optimize", 'O', false,
       "run the default pipeline (" + std::string(kDefaultPipeline) + ")"},
      {"bind", 0, true, "give symbol NAME the size N (for specialize; repeatable)",
       "NAME=N"},
      {"print-ir-before", 0, true, "print the IR before pass NAME (repeatable)",
       "NAME"},
      {"print-ir-after", 0, true, "print the IR after pass NAME (repeatable)",
       "NAME"},
      {"print-ir-after-all", 0, false,
       "print the IR after every pass (\"(unchanged)\" if it did nothing)"},
      {"dump-dir", 0, true, "write each stage as DIR/NN-PASS.dlir", "DIR"},
      {"print-weights", 0, false,
       "print every tensor in IR dumps in full (by default a tensor of more than " +
           std::to_string(kDumpElideAbove) +
           " elements is elided, and the dump cannot be read back)"},
      {"time-passes", 0, false, "print the wall time of each pass"},
      {"verify-each", 0, false, "verify the IR after every pass"},
      {"dot", 0, true, "write the final IR as a Graphviz graph", "FILE"},
      {"stats", 0, false,
       "print node counts before and after the passes and how many dims are "
       "static, symbolic, data-dependent or unknown"},
      {"remarks", 0, false,
       "print what the passes rewrote and what they could not (and why)"},
      {"force-branch-batch", 0, false,
       "partition every per-sample select branch-batch can, even where its cost model "
       "says the partition costs more than it saves (for tests)"},
      {"profile-inputs", 0, true,
       "run the model on sample inputs (DIR/NAME.npy, or one folder of them per run) "
       "after canonicalize; the rewrites use what the runs saw (gates mostly zero, "
       "branches taken)",
       "DIR"},
  });
}

namespace {

struct ModuleStats {
  int64_t nodes = 0;
  int64_t staticDims = 0, symbolicDims = 0, dataDims = 0, unknownDims = 0;
  int64_t unknownRanks = 0;
};

void countType(const TensorType &type, ModuleStats &stats) {
  if (!type.hasRank()) {
    ++stats.unknownRanks;
    return;
  }
  for (const Dim &dim : type.dims()) {
    if (dim.isStatic())
      ++stats.staticDims;
    else if (dim.isUnknown())
      ++stats.unknownDims;
    else if (dim.dependsOnData())
      ++stats.dataDims;
    else
      ++stats.symbolicDims;
  }
}

void countGraph(const Graph &graph, ModuleStats &stats) {
  for (const auto &input : graph.inputs())
    countType(input->type(), stats);
  for (const auto &node : graph.nodes()) {
    ++stats.nodes;
    for (size_t i = 0; i < node->numResults(); ++i)
      countType(node->result(i)->type(), stats);
    for (Graph *region : node->regions())
      countGraph(*region, stats);
  }
}

ModuleStats moduleStats(const Module &module) {
  ModuleStats stats;
  for (const auto &graph : module.graphs())
    countGraph(*graph, stats);
  return stats;
}

} // namespace

namespace {

/// "NAME=SIZE" with 0 <= SIZE <= 2^40.
bool parseBinding(const std::string &text, std::string &name, int64_t &value) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return false;
  char *end = nullptr;
  long long parsed = std::strtoll(text.c_str() + eq + 1, &end, 10);
  if (*end != '\0' || parsed < 0 || parsed > kMaxDimSize)
    return false;
  name = text.substr(0, eq);
  value = parsed;
  return true;
}

/// The input sets in `dir` for `profile`: its .npy files (one run), or
/// each folder's (one run per folder, in name order).
LogicalResult loadProfileInputs(const std::string &dir, PassContext &context) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_directory(dir, error))
    return context.diag.error({}, "--profile-inputs: '" + dir + "' is not a directory");
  std::vector<fs::path> runs, files;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, error)) {
    if (entry.is_directory())
      runs.push_back(entry.path());
    else if (entry.path().extension() == ".npy")
      files.push_back(entry.path());
  }
  if (!files.empty())
    runs.insert(runs.begin(), fs::path(dir));
  std::sort(runs.begin() + (files.empty() ? 0 : 1), runs.end());
  for (const fs::path &run : runs) {
    auto &named = context.profileInputs.emplace_back();
    for (const fs::directory_entry &entry : fs::directory_iterator(run, error)) {
      if (entry.is_directory() || entry.path().extension() != ".npy")
        continue;
      std::string why;
      std::optional<Tensor> tensor = readNpy(entry.path().string(), why);
      if (!tensor)
        return context.diag.error({}, "--profile-inputs: " + entry.path().string() + ": " + why);
      named[entry.path().stem().string()] = std::make_shared<const Tensor>(std::move(*tensor));
    }
  }
  if (context.profileInputs.empty())
    return context.diag.error({}, "--profile-inputs: '" + dir + "' has no .npy inputs");
  return success();
}

} // namespace

LogicalResult runPasses(const ParsedArgs &args, Module &module,
                        Diagnostics &diag, std::string_view fallback) {
  std::string text;
  if (std::optional<std::string> passes = args.get("passes"))
    text = *passes;
  if (args.has("optimize"))
    text = text.empty() ? std::string(kDefaultPipeline)
                        : std::string(kDefaultPipeline) + "," + text;
  if (text.empty() && !fallback.empty())
    text = (args.getAll("bind").empty() ? "" : "specialize,") + std::string(fallback);
  PassContext context(diag);
  for (const std::string &binding : args.getAll("bind")) {
    std::string name;
    int64_t value;
    if (!parseBinding(binding, name, value))
      return diag.error({}, "--bind needs NAME=SIZE with 0 <= SIZE <= 2^40, got '" +
                                binding + "'");
    context.bindings[name] = value;
  }
  context.forcePartition = args.has("force-branch-batch");
  if (std::optional<std::string> dir = args.get("profile-inputs")) {
    if (failed(loadProfileInputs(*dir, context)))
      return failure();
    // Profiled where the rewrites start: after shapes and cleanup.
    size_t at = text.find("canonicalize");
    if (at == std::string::npos)
      text = "profile," + text;
    else
      text.insert(at + std::string_view("canonicalize").size(), ",profile");
  }
  ModuleStats before = moduleStats(module);
  PipelineOptions options;
  options.printBefore = args.getAll("print-ir-before");
  options.printAfter = args.getAll("print-ir-after");
  options.printAfterAll = args.has("print-ir-after-all");
  options.dumpDir = args.get("dump-dir").value_or("");
  options.print = printOptionsOf(args);
  options.timePasses = args.has("time-passes");
  options.verifyEach = options.verifyEach || args.has("verify-each");
  if (!text.empty()) {
    std::optional<Pipeline> pipeline = Pipeline::parse(text, diag);
    if (!pipeline || failed(pipeline->run(module, context, options)))
      return failure();
    if (args.has("remarks"))
      for (const Remark &remark : context.remarks)
        std::fprintf(stderr, "%s\n", remark.str().c_str());
  } else if (!context.bindings.empty() && !args.has("memory-plan")) {
    return diag.error({}, "--bind needs a pipeline that uses it (e.g. "
                          "--passes=specialize) or --memory-plan");
  }
  if (args.has("stats")) {
    ModuleStats after = moduleStats(module);
    int64_t dims = after.staticDims + after.symbolicDims + after.dataDims + after.unknownDims;
    auto share = [&](int64_t n) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.1f%%", dims ? 100.0 * n / dims : 0.0);
      return std::string(text);
    };
    std::fprintf(stderr,
                 "stats: nodes %lld -> %lld; dims %lld: static %lld (%s), symbolic "
                 "%lld (%s), data-dependent %lld (%s), unknown %lld (%s); unknown "
                 "ranks %lld\n",
                 (long long)before.nodes, (long long)after.nodes, (long long)dims,
                 (long long)after.staticDims, share(after.staticDims).c_str(),
                 (long long)after.symbolicDims, share(after.symbolicDims).c_str(),
                 (long long)after.dataDims, share(after.dataDims).c_str(),
                 (long long)after.unknownDims, share(after.unknownDims).c_str(),
                 (long long)after.unknownRanks);
  }
  if (std::optional<std::string> dot = args.get("dot"))
    if (writeOutput(printDot(module), *dot) != kExitOk)
      return diag.error({}, "cannot write '" + *dot + "'");
  return success();
}

PrintOptions printOptionsOf(const ParsedArgs &args) {
  PrintOptions options;
  // Text written with its weights in a side file is for reading back.
  bool full = args.has("print-weights") || args.has("weights-file");
  options.elideAbove = full ? -1 : kDumpElideAbove;
  return options;
}

std::map<std::string, int64_t, std::less<>> bindingsOf(const ParsedArgs &args) {
  std::map<std::string, int64_t, std::less<>> bindings;
  for (const std::string &binding : args.getAll("bind")) {
    std::string name;
    int64_t value;
    if (parseBinding(binding, name, value))
      bindings[name] = value;
  }
  return bindings;
}

std::string listPasses() {
  std::string text;
  for (const PassInfo &pass : allPasses()) {
    std::string name(pass.name);
    name.resize(std::max<size_t>(name.size() + 2, 18), ' ');
    text += "  " + name + std::string(pass.help) + "\n";
  }
  return text;
}

std::optional<std::string> backendOf(const ParsedArgs &args) {
  std::string backend = args.get("backend").value_or(kDefaultBackend);
  if (!isBackend(backend)) {
    userError("--backend must be halide or reference, got '" + backend + "'");
    return std::nullopt;
  }
  return backend;
}

} // namespace dlc::tool
