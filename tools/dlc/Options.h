//===- Options.h - Command-line parsing for dlc subcommands ---*- C++ -*-===//
//
// Each subcommand declares its flags and positional arguments; parsing
// rejects unknown flags, missing values and wrong argument counts with a
// one-line message. `--help` is accepted everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TOOLS_DLC_OPTIONS_H
#define DLC_TOOLS_DLC_OPTIONS_H

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlc::tool {

struct FlagSpec {
  std::string name;       ///< Long name without dashes, e.g. "output".
  char shortName = 0;     ///< e.g. 'o', or 0.
  bool takesValue = false;
  std::string help;
  std::string valueName = "VALUE";
};

struct CommandSpec {
  std::string name;
  std::string summary;
  std::string usage; ///< Positional part, e.g. "FILE.dlir".
  std::vector<FlagSpec> flags;
  size_t minPositional = 0;
  size_t maxPositional = 0;
};

struct ParsedArgs {
  /// Flag name -> values, one per occurrence ("" for flags without value).
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  bool help = false;

  bool has(const std::string &flag) const { return values.count(flag) != 0; }
  /// The last value given for `flag`.
  std::optional<std::string> get(const std::string &flag) const;
  /// Every value given for a repeatable flag, in order.
  std::vector<std::string> getAll(const std::string &flag) const;
};

/// Parses `args` (after the subcommand name). On error returns nullopt and
/// sets `error` to a one-line message.
std::optional<ParsedArgs> parseArgs(const CommandSpec &spec,
                                    const std::vector<std::string> &args,
                                    std::string &error);

/// The help text for one command.
std::string commandHelp(const CommandSpec &spec);

} // namespace dlc::tool

#endif
