//===- DiffTest.cpp - Differential testing of random dynamic graphs -------===//
//
// dlc-difftest runs random graphs (Generator.h), or .dlir files, on the
// reference interpreter as written and through every path that compiles
// them, on several sizes of the batch symbol, and compares the outputs:
//
//   passes       the compile pipeline's passes, then the interpreter
//   unrewritten  compiled without the dynamic-network rewrites (shapes,
//                canonicalize, split), reference kernels
//   reference    compiled (compile pipeline, host program, reference kernels)
//   specialized  the same with the batch symbol bound to the run's size
//   fused        compiled with the native pipeline (fused kernels), reference
//   halide       compiled with the native pipeline, Halide kernels
//
// A mismatch, an error where the interpreter ran, or a verifier failure is
// minimized (Minimize.h) and written as DIR/seed-S.dlir, with the sizes and
// the path in its header; tests/diff/regressions/ keeps those that were
// bugs, replayed by CI with --replay. Before each graph runs, its text is
// in DIR/current.dlir: a crash leaves its repro.
//
//   dlc-difftest [--seeds N] [--first-seed S] [--paths a,b] [--sizes 0,1,3]
//                [--out DIR] [--no-minimize] [--print] [--replay FILE...]
//
//===----------------------------------------------------------------------===//

#include "codegen/Compile.h"
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "tests/diff/Generator.h"
#include "tests/diff/Minimize.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dlc::difftest {
namespace {

/// What the compile pipeline runs without its rewrites.
constexpr std::string_view kUnrewrittenPipeline = "infer-shapes,canonicalize,dce,split";

struct Config {
  std::vector<std::string> paths = {"passes",      "unrewritten", "reference",
                                    "specialized", "fused",       "halide"};
  std::vector<int64_t> sizes = {0, 1, 3, 8};
  double rtol = 1e-3, atol = 1e-4; ///< atol scales with the output's magnitude
  std::string outDir = "difftest-out";
  bool minimize = true;
};

std::vector<std::string> split(const std::string &text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty())
      parts.push_back(part);
  return parts;
}

/// The outputs of `text`'s @main on `inputs` along `path`; nullopt with
/// `error` set when a step fails.
std::optional<std::vector<TensorRef>> runPath(const std::string &text, const std::string &path,
                                              const std::vector<TensorRef> &inputs, int64_t size,
                                              std::string &error) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "difftest.dlir", diag);
  if (!module || failed(verifyModule(*module, diag))) {
    error = "parse/verify: " + diag.str();
    return std::nullopt;
  }
  if (path == "interpreter" || path == "passes") {
    if (path == "passes") {
      std::optional<Pipeline> pipeline = Pipeline::parse(kCompilePipeline, diag);
      PassContext context(diag);
      PipelineOptions options;
      options.verifyEach = true;
      if (!pipeline || failed(pipeline->run(*module, context, options))) {
        error = "passes: " + diag.str();
        return std::nullopt;
      }
    }
    Interpreter interpreter(diag);
    std::optional<std::vector<TensorRef>> outputs = interpreter.run(*module->graph("main"), inputs);
    if (!outputs)
      error = "interpreter: " + diag.str();
    return outputs;
  }
  CompileRequest request;
  request.verifyEach = true;
  request.emit.backend = path == "halide" ? "halide" : "reference";
  request.passes = std::string(path == "unrewritten"                        ? kUnrewrittenPipeline
                               : path == "reference" || path == "specialized" ? kCompilePipeline
                                                                              : kNativeCompilePipeline);
  if (path == "specialized")
    request.bindings["N"] = size;
  std::optional<EmittedProgram> emitted = compileModule(*module, request, diag);
  if (!emitted) {
    error = "compile: " + diag.str();
    return std::nullopt;
  }
  std::shared_ptr<const dlrt::program::Executable> executable =
      makeExecutable(std::move(*emitted), error);
  if (!executable) {
    error = "load: " + error;
    return std::nullopt;
  }
  dlrt::program::SessionOptions options;
  options.threads = 1;
  dlrt::program::Session session(executable, options);
  std::optional<std::vector<TensorRef>> outputs = runSession(session, inputs, error);
  if (!outputs)
    error = "run: " + error;
  return outputs;
}

/// A failure of one path on one size.
struct Failure {
  std::string path;
  int64_t size = 0;
  std::string what;
};

/// The largest magnitude among `tensor`'s finite float elements (1 for others).
double magnitude(const Tensor &tensor) {
  double most = 1;
  if (isFloat(tensor.dtype()))
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      if (std::isfinite(tensor.getDouble(i)))
        most = std::max(most, std::fabs(tensor.getDouble(i)));
  return most;
}

/// Every path of `config` against the interpreter on every size; the
/// first failure, if any. `onlyPath`/`onlySize` narrow the check (the
/// minimizer's predicate).
std::optional<Failure> check(const std::string &text, const Config &config,
                             const std::string *onlyPath = nullptr,
                             const int64_t *onlySize = nullptr) {
  Diagnostics diag;
  std::unique_ptr<Module> module = parseModule(text, "difftest.dlir", diag);
  if (!module)
    return Failure{"parse", 0, diag.str()};
  for (int64_t size : config.sizes) {
    if (onlySize && size != *onlySize)
      continue;
    std::vector<TensorRef> inputs =
        generateInputs(*module->graph("main"), size, static_cast<uint64_t>(size) + 1);
    std::string error;
    std::optional<std::vector<TensorRef>> want = runPath(text, "interpreter", inputs, size, error);
    if (!want)
      return Failure{"interpreter", size, error};
    for (const std::string &path : config.paths) {
      if (onlyPath && path != *onlyPath)
        continue;
      std::optional<std::vector<TensorRef>> got = runPath(text, path, inputs, size, error);
      if (!got)
        return Failure{path, size, error};
      if (got->size() != want->size())
        return Failure{path, size, std::to_string(got->size()) + " outputs, expected " +
                                       std::to_string(want->size())};
      for (size_t i = 0; i < got->size(); ++i) {
        const Tensor &expected = *(*want)[i];
        TensorDifference d = compareTensors(*(*got)[i], expected, config.rtol,
                                            config.atol * magnitude(expected));
        if (d.mismatch)
          return Failure{path, size, "output " + std::to_string(i) + ": " + d.problem};
      }
    }
  }
  return std::nullopt;
}

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path);
  out << text;
}

/// The failure's repro: minimized (if asked) and written to the out folder.
void report(const std::string &name, const std::string &text, const Failure &failure,
            const Config &config) {
  std::printf("FAIL %s: %s at N=%lld: %s\n", name.c_str(), failure.path.c_str(),
              static_cast<long long>(failure.size), failure.what.c_str());
  std::string smallest = text;
  if (config.minimize && failure.path != "parse") {
    // The same path failing at the same size (any way) keeps a candidate.
    smallest = minimize(text, [&](const std::string &candidate) {
      std::optional<Failure> again = check(candidate, config, &failure.path, &failure.size);
      return again && again->path == failure.path;
    });
  }
  std::optional<Failure> final = check(smallest, config, &failure.path, &failure.size);
  std::string what = final ? final->what : failure.what; // diagnostics: one line
  std::replace(what.begin(), what.end(), '\n', ' ');
  std::string header = "// dlc-difftest: " + name + ", path " + failure.path + ", N=" +
                       std::to_string(failure.size) + "\n// " + what + "\n";
  std::string path = config.outDir + "/" + name + ".dlir";
  writeFile(path, header + smallest);
  std::printf("  repro (%s): %s\n", config.minimize ? "minimized" : "as generated", path.c_str());
}

int usage() {
  std::fprintf(stderr,
               "usage: dlc-difftest [--seeds N] [--first-seed S] [--paths a,b] [--sizes 0,1,3]\n"
               "                    [--out DIR] [--no-minimize] [--print] [--replay FILE...]\n");
  return 2;
}

int run(int argc, char **argv) {
  Config config;
  uint64_t seeds = 10, first = 1;
  bool print = false;
  std::vector<std::string> replay;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--seeds")
      seeds = std::stoull(value());
    else if (arg == "--first-seed")
      first = std::stoull(value());
    else if (arg == "--paths")
      config.paths = split(value());
    else if (arg == "--sizes") {
      config.sizes.clear();
      for (const std::string &size : split(value()))
        config.sizes.push_back(std::stoll(size));
    } else if (arg == "--out")
      config.outDir = value();
    else if (arg == "--no-minimize")
      config.minimize = false;
    else if (arg == "--print")
      print = true;
    else if (arg == "--replay") {
      while (i + 1 < argc && argv[i + 1][0] != '-')
        replay.push_back(argv[++i]);
    } else
      return usage();
  }
  for (const std::string &path : config.paths)
    if (path != "passes" && path != "unrewritten" && path != "reference" &&
        path != "specialized" && path != "fused" && path != "halide")
      return usage();
  std::filesystem::create_directories(config.outDir);

  auto start = std::chrono::steady_clock::now();
  size_t graphs = 0, failures = 0, nodes = 0;
  auto one = [&](const std::string &name, const std::string &text) {
    ++graphs;
    writeFile(config.outDir + "/current.dlir", text);
    Diagnostics diag;
    if (std::unique_ptr<Module> module = parseModule(text, name, diag))
      module->walk([&](Node &) { ++nodes; });
    if (std::optional<Failure> failure = check(text, config)) {
      ++failures;
      report(name, text, *failure, config);
    }
  };
  if (!replay.empty()) {
    for (const std::string &file : replay) {
      std::ifstream in(file);
      std::stringstream text;
      text << in.rdbuf();
      one(std::filesystem::path(file).stem().string(), text.str());
    }
  } else {
    for (uint64_t seed = first; seed < first + seeds; ++seed) {
      std::string text = printModule(*generateModule(seed));
      if (print)
        std::printf("// seed %llu\n%s\n", static_cast<unsigned long long>(seed), text.c_str());
      one("seed-" + std::to_string(seed), text);
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("dlc-difftest: %zu graphs (%zu nodes), %zu sizes each, paths %s: %zu failed, "
              "%.1f s\n",
              graphs, nodes, config.sizes.size(),
              [&] {
                std::string all;
                for (const std::string &path : config.paths)
                  all += (all.empty() ? "" : ",") + path;
                return all;
              }()
                  .c_str(),
              failures, seconds);
  return failures ? 1 : 0;
}

} // namespace
} // namespace dlc::difftest

int main(int argc, char **argv) { return dlc::difftest::run(argc, argv); }
