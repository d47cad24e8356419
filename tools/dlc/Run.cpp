//===- Run.cpp - `dlc run`: execute a model on the reference interpreter -===//

#include "ir/Interpreter.h"
#include "tools/dlc/Driver.h"
#include "frontends/npy/Npy.h"
#include "tools/dlc/Runtime.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

namespace dlc::tool {
namespace {

const CommandSpec kRunSpec = withFlags({
    "run",
    "Runs a compiled model (.dlc, from `dlc compile`) on the runtime, or a\n"
    "model (.onnx or .dlir) on the reference interpreter after the passes\n"
    "asked for, and prints a summary of each output.",
    "MODEL",
    {{"output-dir", 'o', true, "write each output as DIR/NAME.npy", "DIR"},
     {"graph", 0, true, "the graph to run (default main)", "NAME"}},
    1,
    1}, concat(inputFlags(), passFlags()));

/// One line: type, then min/max/mean and the first values.
std::string summary(const std::string &name, const Tensor &tensor) {
  std::string text = name + ": " + tensor.type().str();
  int64_t n = tensor.numElements();
  if (n == 0)
    return text + " (empty)";
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = tensor.getDouble(i);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  char stats[128];
  std::snprintf(stats, sizeof(stats), " min %.6g max %.6g mean %.6g [", lo, hi,
                sum / n);
  text += stats;
  for (int64_t i = 0; i < std::min<int64_t>(n, 8); ++i) {
    char value[32];
    std::snprintf(value, sizeof(value), "%s%.6g", i ? ", " : "",
                  tensor.getDouble(i));
    text += value;
  }
  return text + (n > 8 ? ", ...]" : "]");
}

/// `dlc run model.dlc`: the runtime executes the compiled program.
int runArtifact(const ParsedArgs &args) {
  std::string error;
  std::shared_ptr<const dlrt::program::Executable> executable =
      loadExecutable(args.positional[0], error);
  if (!executable)
    return userError(error);
  std::optional<int64_t> seed = seedOf(args);
  std::optional<int> threads = threadsOf(args);
  if (!seed || !threads)
    return kExitUser;
  std::optional<std::vector<TensorRef>> inputs = prepareInputs(
      args, inputSpecs(executable->program()), *seed, args.has("random-inputs"));
  if (!inputs)
    return kExitUser;
  dlrt::program::SessionOptions options;
  options.threads = *threads;
  dlrt::program::Session session(executable, options);
  std::optional<std::vector<TensorRef>> outputs = runSession(session, *inputs, error);
  if (!outputs)
    return userError(args.positional[0] + ": " + error);
  std::vector<std::string> names;
  for (const dlrt::program::Port &port : executable->program().outputs)
    names.push_back(port.name);
  return reportOutputs(args, names, *outputs);
}

int runRun(const ParsedArgs &args) {
  if (isArtifactFile(args.positional[0]))
    return runArtifact(args);
  Diagnostics diag;
  std::unique_ptr<Module> module = loadModel(args.positional[0], args, diag);
  if (module && failed(runPasses(args, *module, diag)))
    return reportDiagnostics(diag);
  if (!module)
    return reportDiagnostics(diag);
  std::string graphName = args.get("graph").value_or("main");
  Graph *graph = module->graph(graphName);
  if (!graph)
    return userError(args.positional[0] + " has no graph @" + graphName);

  std::optional<int64_t> seed = seedOf(args);
  if (!seed)
    return kExitUser;
  std::optional<std::vector<TensorRef>> inputs =
      prepareInputs(args, *graph, *seed, args.has("random-inputs"));
  if (!inputs)
    return kExitUser;
  std::optional<int> threads = threadsOf(args);
  if (!threads)
    return kExitUser;
  InterpreterOptions options;
  options.threads = *threads;
  Interpreter interpreter(diag, options);
  std::optional<std::vector<TensorRef>> outputs =
      interpreter.run(*graph, *inputs);
  if (!outputs)
    return reportDiagnostics(diag);

  return reportOutputs(args, graph->outputNames(), *outputs);
}

} // namespace

int reportOutputs(const ParsedArgs &args, const std::vector<std::string> &names,
                  const std::vector<TensorRef> &outputs) {
  std::optional<std::string> dir = args.get("output-dir");
  if (dir) {
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec)
      return userError("cannot create '" + *dir + "': " + ec.message());
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string name = names[i].empty() ? "output" + std::to_string(i) : names[i];
    std::printf("%s\n", summary(name, *outputs[i]).c_str());
    if (dir) {
      std::string safe = name;
      for (char &c : safe)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' &&
            c != '-' && c != '.')
          c = '_';
      std::string error;
      if (!writeNpy(*dir + "/" + safe + ".npy", *outputs[i], error))
        return userError(error);
    }
  }
  return kExitOk;
}

const Subcommand kRunCommand = {kRunSpec, runRun};

} // namespace dlc::tool
