//===- Diagnostics.cpp - Locations, errors and LogicalResult -------------===//

#include "ir/Diagnostics.h"

namespace dlc {

std::string Location::str() const {
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0)
      text += ':' + std::to_string(column);
  }
  if (!node.empty())
    text += (text.empty() ? "node '" : ": node '") + node + "'";
  return text;
}

std::string Diagnostic::str() const {
  std::string where = location.str();
  return (where.empty() ? "" : where + ": ") + "error: " + message;
}

LogicalResult Diagnostics::error(const Location &location,
                                 std::string message) {
  errors_.push_back(Diagnostic{location, std::move(message)});
  return failure();
}

std::string Diagnostics::str() const {
  std::string text;
  for (const Diagnostic &diag : errors_)
    text += diag.str() + "\n";
  return text;
}

} // namespace dlc
