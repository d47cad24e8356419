//===- main.cpp - The dlc driver ------------------------------------------===//
//
// `dlc <command> [options] args`. Exit codes: 0 success, 1 user error (bad
// input or usage; a one-line message per error on stderr), 2 internal error.
//
//===----------------------------------------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "ir/Weights.h"
#include "tools/dlc/Options.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <new>

namespace dlc::tool {
namespace {

constexpr int kExitOk = 0, kExitUser = 1, kExitInternal = 2;

int userError(const std::string &message) {
  std::fprintf(stderr, "dlc: error: %s\n", message.c_str());
  return kExitUser;
}

int reportDiagnostics(const Diagnostics &diag) {
  std::fputs(diag.str().c_str(), stderr);
  return kExitUser;
}

/// Writes `text` to `path`, or stdout when `path` is empty or "-".
int writeOutput(const std::string &text, const std::string &path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : userError("cannot write output");
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    return userError("cannot write '" + path + "'");
  return kExitOk;
}

const CommandSpec kOptSpec = {
    "opt",
    "Parses a .dlir file (or '-' for stdin), verifies it and prints it back.",
    "FILE.dlir",
    {{"output", 'o', true, "write the IR to FILE instead of stdout", "FILE"},
     {"no-verify", 0, false, "print without verifying (for broken IR)"},
     {"weights-file", 0, true,
      "store weights of at least --weights-threshold bytes in FILE",
      "FILE"},
     {"weights-threshold", 0, true,
      "minimum size in bytes of an external weight (default 1024)", "BYTES"},
     {"inline-weights", 0, false, "print every weight inline"},
     {"split-input-file", 0, false,
      "treat each '// -----'-separated chunk as its own module (tests)"}},
    1,
    1};

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

/// Parses, verifies and prints one module's text; errors go to `diag`.
std::optional<std::string> optText(const std::string &text,
                                   const std::string &path, bool verify,
                                   Diagnostics &diag) {
  std::unique_ptr<Module> module = parseModule(text, path, diag);
  if (!module || (verify && failed(verifyModule(*module, diag))))
    return std::nullopt;
  return printModule(*module);
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
  const std::string &path = args.positional[0];
  bool verify = !args.has("no-verify");
  std::string output = args.get("output").value_or("");
  if (!args.has("split-input-file")) {
    Diagnostics diag;
    std::unique_ptr<Module> module = parseModuleFile(path, diag);
    if (!module || (verify && failed(verifyModule(*module, diag))))
      return reportDiagnostics(diag);
    if (failed(placeWeights(args, output, *module, diag)))
      return reportDiagnostics(diag);
    return writeOutput(printModule(*module), output);
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
        optText(std::string(lineOffset, '\n') + chunk, path, verify, diag);
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

struct Command {
  const CommandSpec &spec;
  std::function<int(const ParsedArgs &)> run;
};

const std::vector<Command> &commands() {
  static const std::vector<Command> all = {{kOptSpec, runOpt},
                                           {kOpsSpec, runOps}};
  return all;
}

std::string topHelp() {
  std::string text = "usage: dlc <command> [options] [args]\n\n"
                     "dlc compiles dynamic neural networks.\n\ncommands:\n";
  for (const Command &command : commands()) {
    std::string name = command.spec.name;
    name.resize(10, ' ');
    text += "  " + name + command.spec.summary + "\n";
  }
  text += "\nRun 'dlc <command> --help' for a command's options.\n";
  return text;
}

int run(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return userError("no command given (see 'dlc --help')");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(topHelp().c_str(), stdout);
    return kExitOk;
  }
  for (const Command &command : commands()) {
    if (command.spec.name != args[0])
      continue;
    std::string error;
    std::optional<ParsedArgs> parsed = parseArgs(
        command.spec, std::vector<std::string>(args.begin() + 1, args.end()),
        error);
    if (!parsed)
      return userError(error);
    if (parsed->help) {
      std::fputs(commandHelp(command.spec).c_str(), stdout);
      return kExitOk;
    }
    return command.run(*parsed);
  }
  if (!args[0].empty() && args[0][0] == '-')
    return userError("unknown option '" + args[0] + "' (see 'dlc --help')");
  return userError("unknown command '" + args[0] + "' (see 'dlc --help')");
}

} // namespace
} // namespace dlc::tool

int main(int argc, char **argv) {
  try {
    return dlc::tool::run(argc, argv);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "dlc: internal error: out of memory\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "dlc: internal error: %s\n", e.what());
  }
  return dlc::tool::kExitInternal;
}
