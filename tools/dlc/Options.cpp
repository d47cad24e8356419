//===- Options.cpp - Command-line parsing for dlc subcommands ------------===//

#include "tools/dlc/Options.h"

namespace dlc::tool {

std::optional<std::string> ParsedArgs::get(const std::string &flag) const {
  auto it = values.find(flag);
  if (it == values.end())
    return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::getAll(const std::string &flag) const {
  auto it = values.find(flag);
  return it == values.end() ? std::vector<std::string>() : it->second;
}

std::optional<ParsedArgs> parseArgs(const CommandSpec &spec,
                                    const std::vector<std::string> &args,
                                    std::string &error) {
  ParsedArgs parsed;
  auto findLong = [&](const std::string &name) -> const FlagSpec * {
    for (const FlagSpec &flag : spec.flags)
      if (flag.name == name)
        return &flag;
    return nullptr;
  };
  auto findShort = [&](char name) -> const FlagSpec * {
    for (const FlagSpec &flag : spec.flags)
      if (flag.shortName == name)
        return &flag;
    return nullptr;
  };
  bool onlyPositional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (onlyPositional || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      onlyPositional = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      parsed.help = true;
      continue;
    }
    const FlagSpec *flag = nullptr;
    std::optional<std::string> inlineValue;
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        inlineValue = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      flag = findLong(name);
    } else if (arg.size() == 2) {
      flag = findShort(arg[1]);
    }
    if (!flag) {
      error = "unknown option '" + arg + "' for 'dlc " + spec.name +
              "' (see 'dlc " + spec.name + " --help')";
      return std::nullopt;
    }
    std::string value;
    if (flag->takesValue) {
      if (inlineValue) {
        value = *inlineValue;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        error = "option '" + arg + "' needs a value";
        return std::nullopt;
      }
    } else if (inlineValue) {
      error = "option '--" + flag->name + "' takes no value";
      return std::nullopt;
    }
    parsed.values[flag->name].push_back(value);
  }
  if (parsed.help)
    return parsed;
  if (parsed.positional.size() < spec.minPositional ||
      parsed.positional.size() > spec.maxPositional) {
    error = "'dlc " + spec.name + "' expects " + spec.usage + " (see 'dlc " +
            spec.name + " --help')";
    return std::nullopt;
  }
  return parsed;
}

std::string commandHelp(const CommandSpec &spec) {
  std::string text = "usage: dlc " + spec.name + " [options] " + spec.usage +
                     "\n\n" + spec.summary + "\n\noptions:\n";
  auto line = [&](std::string left, const std::string &help) {
    left.resize(std::max<size_t>(left.size() + 2, 28), ' ');
    text += "  " + left + help + "\n";
  };
  for (const FlagSpec &flag : spec.flags) {
    std::string left = flag.shortName ? std::string("-") + flag.shortName + ", "
                                      : std::string();
    left += "--" + flag.name;
    if (flag.takesValue)
      left += " " + flag.valueName;
    line(left, flag.help);
  }
  line("-h, --help", "show this help");
  return text;
}

} // namespace dlc::tool
