//===- main.cpp - The dlc driver ------------------------------------------===//
//
// `dlc <command> [options] args`. Exit codes: 0 success, 1 user error (bad
// input or usage; a one-line message per error on stderr), 2 internal error.
//
//===----------------------------------------------------------------------===//

#include "tools/dlc/Driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <malloc.h>
#include <new>

namespace dlc::tool {
namespace {

const std::vector<Subcommand> &commands() {
  static const std::vector<Subcommand> all = {kCompileCommand, kRunCommand, kCheckCommand,
                                              kBenchCommand, kInspectCommand, kOptCommand, kOpsCommand};
  return all;
}

std::string topHelp() {
  std::string text = "usage: dlc <command> [options] [args]\n\n"
                     "dlc compiles dynamic neural networks.\n\ncommands:\n";
  for (const Subcommand &command : commands()) {
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
  for (const Subcommand &command : commands()) {
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
  // Large blocks (a model's weights, copied from the file to the IR to the
  // artifact) from the heap, and kept there when freed: the next copy
  // reuses their pages instead of faulting fresh ones in (vit_b_16's warm
  // compile 8.5 -> 7.4 s).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  try {
    return dlc::tool::run(argc, argv);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "dlc: internal error: out of memory\n");
  } catch (const std::exception &e) {
    std::fprintf(stderr, "dlc: internal error: %s\n", e.what());
  }
  return dlc::tool::kExitInternal;
}
