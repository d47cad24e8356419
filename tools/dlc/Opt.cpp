//===- Opt.cpp - `dlc opt` and `dlc ops` ---------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "ir/Weights.h"
#include "passes/PlanMemory.h"
#include "tools/dlc/Driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

namespace dlc::tool {
namespace {

const CommandSpec kOptSpec = withFlags(
    {"opt",
    "Reads a model (.dlir text, '-' for stdin, or .onnx), verifies it, runs\n"
    "the passes asked for and prints its IR.",
    "FILE.dlir|FILE.onnx",
    {{"output", 'o', true, "write the IR to FILE instead of stdout", "FILE"},
     {"no-verify", 0, false, "print without verifying (for broken IR)"},
     {"weights-file", 0, true,
      "store weights of at least --weights-threshold bytes in FILE",
      "FILE"},
     {"weights-threshold", 0, true,
      "minimum size in bytes of an external weight (default 1024)", "BYTES"},
     {"inline-weights", 0, false, "print every weight inline"},
     {"split-input-file", 0, false,
      "treat each '// -----'-separated chunk as its own module (tests)"},
     {"list-passes", 0, false, "list the passes and exit"},
     {"memory-plan", 0, false,
      "print each graph's buffer plan (sizes, live ranges, arena offsets; "
      "--bind sizes symbols) instead of the IR"}},
    0,
    1},
    passFlags());

/// Reads `path` ("-" for stdin) into `text`; false after reporting.
bool readInput(const std::string &path, std::string &text) {
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    userError("cannot open '" + path + "'");
    return false;
  }
  text.assign(std::istreambuf_iterator<char>(in), {});
  return true;
}

/// Parses, verifies, transforms and prints one module's text; errors go to
/// `diag`.
std::optional<std::string> optText(const std::string &text,
                                   const std::string &path, bool verify,
                                   const ParsedArgs &args, Diagnostics &diag) {
  std::unique_ptr<Module> module = parseModule(text, path, diag);
  if (!module || (verify && failed(verifyModule(*module, diag))) ||
      failed(runPasses(args, *module, diag)))
    return std::nullopt;
  return printModule(*module, printOptionsOf(args));
}

/// Applies --weights-file / --inline-weights to `module`.
LogicalResult placeWeights(const ParsedArgs &args, const std::string &output,
                           Module &module, Diagnostics &diag) {
  if (args.has("inline-weights"))
    internalizeWeights(module);
  std::optional<std::string> file = args.get("weights-file");
  if (!file)
    return success();
  int64_t threshold = 1024;
  if (std::optional<std::string> text = args.get("weights-threshold")) {
    char *end = nullptr;
    threshold = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || threshold < 0)
      return diag.error({}, "--weights-threshold needs a byte count, got '" +
                                *text + "'");
  }
  std::string textDir = output.empty() || output == "-"
                            ? std::string()
                            : std::filesystem::path(output).parent_path().string();
  return externalizeWeights(module, *file, textDir, threshold, diag);
}

int runOpt(const ParsedArgs &args) {
  if (args.has("list-passes"))
    return writeOutput(listPasses(), "");
  if (args.positional.empty())
    return userError("'dlc opt' expects FILE.dlir|FILE.onnx (see 'dlc opt --help')");
  const std::string &path = args.positional[0];
  bool verify = !args.has("no-verify");
  std::string output = args.get("output").value_or("");
  if (!args.has("split-input-file")) {
    Diagnostics diag;
    bool isOnnx = path.size() > 5 && path.substr(path.size() - 5) == ".onnx";
    std::unique_ptr<Module> module =
        isOnnx || verify ? loadModel(path, args, diag) : parseModuleFile(path, diag);
    if (!module || failed(runPasses(args, *module, diag)))
      return reportDiagnostics(diag);
    if (args.has("memory-plan"))
      return writeOutput(printMemoryPlans(*module, bindingsOf(args)), output);
    if (failed(placeWeights(args, output, *module, diag)))
      return reportDiagnostics(diag);
    return writeOutput(printModule(*module, printOptionsOf(args)), output);
  }
  // Each chunk keeps its line numbers: earlier chunks become blank lines.
  std::string text;
  if (!readInput(path, text))
    return kExitUser;
  const std::string separator = "// -----";
  std::string printed;
  bool anyFailed = false;
  size_t start = 0, lineOffset = 0;
  while (start <= text.size()) {
    // Chunks after the first start at their separator line; skip past it.
    size_t from = start == 0 ? 0 : start + separator.size();
    size_t end = text.find(separator, from);
    while (end != std::string::npos && end != 0 && text[end - 1] != '\n')
      end = text.find(separator, end + 1);
    std::string chunk = text.substr(start, end == std::string::npos
                                               ? std::string::npos
                                               : end - start);
    Diagnostics diag;
    std::optional<std::string> result =
        optText(std::string(lineOffset, '\n') + chunk, path, verify, args, diag);
    if (result) {
      printed += (printed.empty() ? "" : separator + "\n") + *result;
    } else {
      anyFailed = true;
      std::fputs(diag.str().c_str(), stderr);
    }
    if (end == std::string::npos)
      break;
    lineOffset += std::count(chunk.begin(), chunk.end(), '\n');
    start = end;
  }
  int written = writeOutput(printed, output);
  return anyFailed ? kExitUser : written;
}

} // namespace

const Subcommand kOptCommand = {kOptSpec, runOpt};

namespace {

const CommandSpec kOpsSpec = {
    "ops", "Lists the ops of the IR by family.", "", {}, 0, 0};

int runOps(const ParsedArgs &) {
  std::string text;
  for (const OpDef *op : OpRegistry::get().ops()) {
    text += std::string(op->name) + "  (" + std::string(op->family) + ")";
    for (const AttrSpec &attr : op->attrs)
      text += " " + std::string(attr.name) + ":" +
              std::string(attrKindName(attr.kind)) + (attr.required ? "!" : "");
    text += "\n";
  }
  return writeOutput(text, "");
}

} // namespace

const Subcommand kOpsCommand = {kOpsSpec, runOps};

} // namespace dlc::tool
