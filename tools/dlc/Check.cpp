//===- Check.cpp - `dlc check`: compiled against reference ----------------===//
//
// Runs a model as compiled (the compile pipeline, code generation, the
// runtime executing the program) and as written (the reference
// interpreter), on the same inputs, and compares every output: the
// differential test users run on their own models.
//
//===----------------------------------------------------------------------===//

#include "codegen/Compile.h"
#include "ir/Interpreter.h"
#include "passes/Passes.h"
#include "tools/dlc/Driver.h"
#include "tools/dlc/Runtime.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dlc::tool {
namespace {

const CommandSpec kCheckSpec = withFlags(
    {"check",
     "Runs MODEL compiled and as written on the same inputs (random ones for\n"
     "inputs not given, one set per seed) and compares the outputs; exit 1\n"
     "on a mismatch.",
     "MODEL",
     {{"seeds", 0, true, "how many random input sets (default 3)", "N"},
      {"compile-passes", 0, true,
       "the pipeline that compiles (default " + std::string(kCompilePipeline) + ")",
       "PIPELINE"},
      {"backend", 0, true, "halide (default) or reference (see dlc compile)", "NAME"},
      {"force-branch-batch", 0, false,
       "partition every per-sample select branch-batch can, whatever its cost model says"},
      {"rtol", 0, true, "relative tolerance (default 1e-4)", "R"},
      {"atol", 0, true, "absolute tolerance (default 1e-5)", "A"}},
     1,
     1},
    concat(inputFlags(), modelFlags()));

std::optional<double> number(const ParsedArgs &args, const std::string &flag,
                             double fallback) {
  std::optional<std::string> text = args.get(flag);
  if (!text)
    return fallback;
  char *end = nullptr;
  double value = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || !(value >= 0)) {
    userError("--" + flag + " expects a non-negative number, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

int runCheck(const ParsedArgs &args) {
  Diagnostics diag;
  std::unique_ptr<Module> reference = loadModel(args.positional[0], args, diag);
  std::unique_ptr<Module> compiled = reference ? loadModel(args.positional[0], args, diag) : nullptr;
  if (!compiled)
    return reportDiagnostics(diag);
  std::optional<double> rtol = number(args, "rtol", 1e-4), atol = number(args, "atol", 1e-5),
                        seeds = number(args, "seeds", 3);
  std::optional<int64_t> firstSeed = seedOf(args);
  std::optional<int> threads = threadsOf(args);
  if (!rtol || !atol || !seeds || !firstSeed || !threads)
    return kExitUser;
  InterpreterOptions runOptions;
  runOptions.threads = *threads;
  CompileRequest request;
  request.passes = args.get("compile-passes").value_or("");
  request.verifyEach = true;
  request.forcePartition = args.has("force-branch-batch");
  std::optional<std::string> backend = backendOf(args);
  if (!backend)
    return kExitUser;
  request.emit.backend = *backend;
  std::optional<EmittedProgram> emitted = compileModule(*compiled, request, diag);
  if (!emitted)
    return reportDiagnostics(diag);
  std::string error;
  std::shared_ptr<const dlrt::program::Executable> executable =
      makeExecutable(std::move(*emitted), error);
  if (!executable)
    return userError(error);
  dlrt::program::SessionOptions sessionOptions;
  sessionOptions.threads = *threads;
  dlrt::program::Session session(executable, sessionOptions);
  const Graph *graph = reference->graph("main");
  if (!graph)
    return userError(args.positional[0] + " has no graph @main");

  bool anyMismatch = false;
  for (int64_t s = 0; s < static_cast<int64_t>(*seeds); ++s) {
    int64_t seed = *firstSeed + s;
    std::optional<std::vector<TensorRef>> inputs = prepareInputs(args, *graph, seed, true);
    if (!inputs)
      return kExitUser;
    Interpreter interpreter(diag, runOptions);
    std::optional<std::vector<TensorRef>> want = interpreter.run(*graph, *inputs);
    if (!want)
      return reportDiagnostics(diag);
    std::optional<std::vector<TensorRef>> got = runSession(session, *inputs, error);
    if (!got) {
      std::printf("seed %lld: the compiled model failed where the reference ran\n",
                  static_cast<long long>(seed));
      return userError(error);
    }
    for (size_t i = 0; i < want->size(); ++i) {
      const std::string &given = graph->outputName(i);
      std::string name = given.empty() ? "output" + std::to_string(i) : given;
      TensorDifference d = compareTensors(*(*got)[i], *(*want)[i], *rtol, *atol);
      anyMismatch |= d.mismatch;
      std::printf("seed %lld %s: %s max abs %.3g max rel %.3g%s%s\n",
                  static_cast<long long>(seed), name.c_str(),
                  d.mismatch ? "MISMATCH" : "ok", d.maxAbs, d.maxRel,
                  d.problem.empty() ? "" : ": ", d.problem.c_str());
    }
  }
  return anyMismatch ? kExitUser : kExitOk;
}

} // namespace

const Subcommand kCheckCommand = {kCheckSpec, runCheck};

} // namespace dlc::tool
