//===- Driver.h - Shared pieces of the dlc subcommands --------*- C++ -*-===//
//
// Exit codes, error reporting, output and model loading shared by the
// subcommands, and the subcommands themselves (one file each).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TOOLS_DLC_DRIVER_H
#define DLC_TOOLS_DLC_DRIVER_H

#include "ir/Graph.h"
#include "ir/Printer.h"
#include "tools/dlc/Options.h"

#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

namespace dlc::tool {

constexpr int kExitOk = 0, kExitUser = 1, kExitInternal = 2;

/// Prints "dlc: error: MESSAGE" and returns kExitUser.
int userError(const std::string &message);
/// Prints every diagnostic and returns kExitUser.
int reportDiagnostics(const Diagnostics &diag);
/// Writes `text` to `path`, or stdout when `path` is empty or "-".
int writeOutput(const std::string &text, const std::string &path);

/// Loads a model: `.onnx` through the ONNX frontend, anything else as
/// .dlir text ("-" reads stdin). Verifies it. Null after errors. With
/// --strip-shapes (modelFlags) an ONNX model is imported as if its exporter
/// had written no shapes.
std::unique_ptr<Module> loadModel(const std::string &path, const ParsedArgs &args,
                                  Diagnostics &diag);
/// The flags of loadModel: --strip-shapes.
std::vector<FlagSpec> modelFlags();

/// `a` then `b`.
inline std::vector<FlagSpec> concat(std::vector<FlagSpec> a, const std::vector<FlagSpec> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// The flags that give a model its inputs and run it: --input,
/// --random-inputs, --seed, --shape, --threads.
std::vector<FlagSpec> inputFlags();
/// The --threads value (0, all cores, if absent); nullopt after reporting.
std::optional<int> threadsOf(const ParsedArgs &args);
/// The --seed value (0 if absent); nullopt after reporting a bad one.
std::optional<int64_t> seedOf(const ParsedArgs &args);
/// An input as declared: its name and type.
struct InputSpec {
  std::string name;
  TensorType type;
};
/// The inputs of `graph`.
std::vector<InputSpec> inputSpecs(const Graph &graph);
/// One tensor per input: from --input files, else (if `random`) random
/// values shaped by --shape and the declared type. Nullopt after reporting
/// an error.
std::optional<std::vector<std::shared_ptr<const Tensor>>>
prepareInputs(const ParsedArgs &args, const std::vector<InputSpec> &specs, int64_t seed,
              bool random);
inline std::optional<std::vector<std::shared_ptr<const Tensor>>>
prepareInputs(const ParsedArgs &args, const Graph &graph, int64_t seed, bool random) {
  return prepareInputs(args, inputSpecs(graph), seed, random);
}
/// Prints one summary line per output and writes DIR/NAME.npy for each
/// with --output-dir DIR.
int reportOutputs(const ParsedArgs &args, const std::vector<std::string> &names,
                  const std::vector<std::shared_ptr<const Tensor>> &outputs);

/// `spec` with `more` flags appended.
CommandSpec withFlags(CommandSpec spec, const std::vector<FlagSpec> &more);

/// The --backend value (the default if absent; see EmitProgram.h);
/// nullopt after reporting an unknown one.
std::optional<std::string> backendOf(const ParsedArgs &args);

/// The flags of every command that runs passes: --passes, -O, --bind and
/// the instrumentation (--print-ir-*, --dump-dir, --time-passes,
/// --verify-each, --dot).
std::vector<FlagSpec> passFlags();

/// IR dumps elide tensors of more elements than this unless --print-weights.
inline constexpr int64_t kDumpElideAbove = 256;

/// How `dlc` prints IR for a person: --print-weights or elided bulk data.
PrintOptions printOptionsOf(const ParsedArgs &args);
/// Runs the pipeline the flags ask for on `module`; without --passes or -O,
/// `fallback` (none: nothing), after `specialize` if --bind is given.
LogicalResult runPasses(const ParsedArgs &args, Module &module, Diagnostics &diag,
                        std::string_view fallback = {});
/// The valid --bind NAME=SIZE values (runPasses reports bad ones).
std::map<std::string, int64_t, std::less<>> bindingsOf(const ParsedArgs &args);
/// `dlc opt --list-passes`: one line per pass.
std::string listPasses();

struct Subcommand {
  const CommandSpec &spec;
  int (*run)(const ParsedArgs &args);
};

extern const Subcommand kOptCommand;
extern const Subcommand kOpsCommand;
extern const Subcommand kRunCommand;
extern const Subcommand kCheckCommand;
extern const Subcommand kCompileCommand;
extern const Subcommand kInspectCommand;
extern const Subcommand kBenchCommand;

} // namespace dlc::tool

#endif
