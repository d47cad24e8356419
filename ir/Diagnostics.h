//===- Diagnostics.h - Locations, errors and LogicalResult ----*- C++ -*-===//
//
// User-facing errors. Every diagnostic carries a Location: a position in a
// text file (`file:line:col`) or, for imported models, the file plus the name
// of the node it came from. Functions that can fail on bad input return
// LogicalResult (or a null pointer) after emitting at least one error.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_DIAGNOSTICS_H
#define DLC_IR_DIAGNOSTICS_H

#include <functional>
#include <string>
#include <vector>

namespace dlc {

/// Where something came from. All fields are optional; an empty location
/// prints as nothing.
struct Location {
  std::string file;
  int line = 0;   ///< 1-based; 0 if unknown.
  int column = 0; ///< 1-based byte column; 0 if unknown.
  std::string node; ///< Name of the source node (ONNX import), if any.

  static Location fileLine(std::string file, int line, int column) {
    return Location{std::move(file), line, column, {}};
  }
  bool empty() const { return file.empty() && line == 0 && node.empty(); }
  /// `file:line:col`, `file: node 'name'`, or "" for an empty location.
  std::string str() const;
};

/// Success or failure of an operation that reports its errors through
/// Diagnostics. [[nodiscard]] so a failure cannot be silently ignored.
class [[nodiscard]] LogicalResult {
public:
  static LogicalResult success() { return LogicalResult(true); }
  static LogicalResult failure() { return LogicalResult(false); }
  bool succeeded() const { return ok_; }
  bool failed() const { return !ok_; }

private:
  explicit LogicalResult(bool ok) : ok_(ok) {}
  bool ok_;
};

inline LogicalResult success() { return LogicalResult::success(); }
inline LogicalResult failure() { return LogicalResult::failure(); }
inline bool failed(LogicalResult result) { return result.failed(); }
inline bool succeeded(LogicalResult result) { return result.succeeded(); }

struct Diagnostic {
  Location location;
  std::string message;
  /// `file:line:col: error: message`.
  std::string str() const;
};

/// Collects errors. Not thread-safe; use one per compilation.
class Diagnostics {
public:
  /// Records an error and returns failure(), so `return diag.error(...)`
  /// reads naturally in functions returning LogicalResult.
  LogicalResult error(const Location &location, std::string message);

  bool hasErrors() const { return !errors_.empty(); }
  const std::vector<Diagnostic> &errors() const { return errors_; }
  /// All errors, one per line.
  std::string str() const;

private:
  std::vector<Diagnostic> errors_;
};

} // namespace dlc

#endif // DLC_IR_DIAGNOSTICS_H
