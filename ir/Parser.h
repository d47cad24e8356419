//===- Parser.h - Read the .dlir text format ------------------*- C++ -*-===//
//
// Parses the text the Printer writes (grammar in Parser.cpp). The parser
// checks syntax, names and literal values; types against op semantics are
// the Verifier's job. Errors carry `file:line:col` and say what was
// expected. All sizes taken from the text (dims, tensor payloads, external
// data) are checked against limits before anything is allocated.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_PARSER_H
#define DLC_IR_PARSER_H

#include "ir/Graph.h"

#include <memory>
#include <string>
#include <string_view>

namespace dlc {

/// Largest .dlir file accepted (1 GiB): larger weights belong in side files.
inline constexpr int64_t kMaxTextBytes = int64_t(1) << 30;

/// Parses `text`. `filename` names the source in diagnostics; external
/// weight files are resolved relative to its folder. Returns null after
/// emitting at least one error.
std::unique_ptr<Module> parseModule(std::string_view text,
                                    const std::string &filename,
                                    Diagnostics &diag);

/// Reads and parses a file; "-" reads standard input.
std::unique_ptr<Module> parseModuleFile(const std::string &path,
                                        Diagnostics &diag);

} // namespace dlc

#endif // DLC_IR_PARSER_H
