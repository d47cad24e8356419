//===- Conformance.cpp - ONNX backend test data through dlc ---------------===//
//
// For every test under the data directories (Debian's libonnx-testdata):
// import model.onnx, run each test_data_set_* on the reference interpreter
// and compare with the expected outputs (floats: |got - want| <= atol +
// rtol * |want|, NaN matches NaN; integers and bools exactly).
//
// Each test runs in a forked child with a memory cap and a time limit, so a
// crash or runaway is recorded as such instead of ending the run. Results
// are categorized (passed, wrong result, unsupported op, unsupported dtype,
// import error, run error, crash/timeout), printed as a table with pass
// rates per directory and written to --report; --floor FILE (the names of
// the tests that passed, one per line) makes the exit status fail if any of
// them fails now; --write-floor FILE writes the passing names.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "codegen/Compile.h"
#include "ir/Interpreter.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace dlc;

namespace {

enum class Outcome {
  Passed, WrongResult, UnsupportedOp, UnsupportedDType, ImportError, RunError,
  Crash
};
constexpr const char *kOutcomeNames[] = {
    "passed", "wrong result", "unsupported op", "unsupported dtype",
    "import error", "run error", "crash/timeout"};
constexpr int kOutcomes = 7;

struct Result {
  Outcome outcome;
  std::string detail;
};

Outcome classify(const std::string &message, Outcome fallback) {
  if (message.find("unsupported op") != std::string::npos)
    return Outcome::UnsupportedOp;
  if (message.find("unsupported dtype") != std::string::npos)
    return Outcome::UnsupportedDType;
  return fallback;
}

std::string firstLine(const Diagnostics &diag) {
  if (!diag.hasErrors())
    return "";
  return diag.errors()[0].str();
}

/// `input_3.pb` -> 3; files sorted by this index.
std::vector<fs::path> numbered(const fs::path &dir, const std::string &prefix) {
  std::vector<std::pair<int, fs::path>> found;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".pb")
      found.emplace_back(std::atoi(name.c_str() + prefix.size()), entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> paths;
  for (auto &[index, path] : found)
    paths.push_back(path);
  return paths;
}

/// ONNX's test data stores bfloat16 tensors as uint16 bit patterns.
Tensor asBFloat16IfDeclared(Tensor tensor, const TensorType &declared) {
  if (tensor.dtype() != DType::U16 || declared.dtype() != DType::BF16)
    return tensor;
  return Tensor(tensor.type().withDType(DType::BF16), std::move(tensor.bytes()));
}

/// What the compiled program changed of the model's interface (names and
/// order of inputs and outputs), or "".
std::string interfaceChange(const dlrt::program::Program &program,
                            const std::vector<std::string> &inputs,
                            const std::vector<std::string> &outputs) {
  auto compare = [](const std::vector<dlrt::program::Port> &ports,
                    const std::vector<std::string> &names, const char *what) -> std::string {
    std::vector<std::string> got;
    for (const dlrt::program::Port &port : ports)
      got.push_back(port.name);
    if (got == names)
      return "";
    auto list = [](const std::vector<std::string> &names) {
      std::string text;
      for (const std::string &name : names)
        text += (text.empty() ? "'" : ", '") + name + "'";
      return "(" + text + ")";
    };
    return std::string("the program's ") + what + " are " + list(got) + ", the model's " +
           list(names);
  };
  std::string inputChange = compare(program.inputs, inputs, "inputs");
  return inputChange.empty() ? compare(program.outputs, outputs, "outputs") : inputChange;
}

/// Runs one test directory (in the child process).
/// Compiled runs use this pipeline (empty: dlc's compile pipeline) and
/// this backend.
std::string compilePasses, compileBackend = "reference";
/// How the models are imported (--strip-shapes: as if written without shapes).
OnnxImportOptions importOptions;

Result runTest(const fs::path &dir, const std::optional<Pipeline> &pipeline, bool compiled) {
  Diagnostics diag;
  std::unique_ptr<Module> module =
      importOnnxFile((dir / "model.onnx").string(), diag, importOptions);
  if (!module || failed(verifyModule(*module, diag)))
    return {classify(firstLine(diag), Outcome::ImportError), firstLine(diag)};
  PassContext context(diag);
  PipelineOptions verifyAfterEach;
  verifyAfterEach.verifyEach = true;
  if (pipeline && failed(pipeline->run(*module, context, verifyAfterEach)))
    return {Outcome::RunError, "pass pipeline: " + firstLine(diag)};
  // The model's interface, as its file names it: the compiled program must
  // keep it (names and order), and outputs are matched by name.
  Graph *graph = module->graph("main");
  std::vector<std::string> inputNames, outputNames = graph->outputNames();
  for (const auto &input : graph->inputs())
    inputNames.push_back(input->name());
  // The compiled path: compile pipeline, code generation, the runtime.
  std::unique_ptr<dlrt::program::Session> session;
  if (compiled) {
    CompileRequest request;
    request.passes = compilePasses;
    request.emit.backend = compileBackend;
    request.verifyEach = true;
    std::optional<EmittedProgram> emitted = compileModule(*module, request, diag);
    std::string error;
    std::shared_ptr<const dlrt::program::Executable> executable =
        emitted ? makeExecutable(std::move(*emitted), error) : nullptr;
    if (!executable)
      return {Outcome::RunError, "compile: " + (error.empty() ? firstLine(diag) : error)};
    std::string changed = interfaceChange(executable->program(), inputNames, outputNames);
    if (!changed.empty())
      return {Outcome::WrongResult, "compile: " + changed};
    dlrt::program::SessionOptions options;
    options.threads = 1;
    session = std::make_unique<dlrt::program::Session>(executable, options);
  }
  std::vector<fs::path> sets;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    if (entry.is_directory() &&
        entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(entry.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    return {Outcome::ImportError, "no test_data_set_* folders"};
  for (const fs::path &set : sets) {
    std::vector<TensorRef> inputs;
    for (const fs::path &file : numbered(set, "input_")) {
      std::optional<Tensor> tensor = readOnnxTensorFile(file.string(), diag);
      if (!tensor)
        return {classify(firstLine(diag), Outcome::ImportError), firstLine(diag)};
      size_t index = inputs.size();
      if (index < graph->numInputs())
        tensor = asBFloat16IfDeclared(std::move(*tensor), graph->input(index)->type());
      inputs.push_back(std::make_shared<Tensor>(std::move(*tensor)));
    }
    // Optional trailing inputs may be left out of the data.
    if (inputs.size() != graph->numInputs())
      return {Outcome::ImportError,
              "data has " + std::to_string(inputs.size()) +
                  " inputs, the model " + std::to_string(graph->numInputs())};
    std::optional<std::vector<TensorRef>> outputs;
    if (session) {
      std::string error;
      outputs = runSession(*session, inputs, error);
      if (!outputs)
        return {Outcome::RunError, "runtime: " + error};
    } else {
      Interpreter interpreter(diag);
      outputs = interpreter.run(*graph, inputs);
      if (!outputs)
        return {classify(firstLine(diag), Outcome::RunError), firstLine(diag)};
    }
    std::vector<fs::path> expected = numbered(set, "output_");
    if (expected.size() != outputs->size())
      return {Outcome::WrongResult, "produced " + std::to_string(outputs->size()) +
                                        " outputs, expected " +
                                        std::to_string(expected.size())};
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string name;
      std::optional<Tensor> want = readOnnxTensorFile(expected[i].string(), diag, &name);
      if (!want)
        return {classify(firstLine(diag), Outcome::ImportError), firstLine(diag)};
      // By name where the data names it (ONNX's data does), else by position.
      size_t at = i;
      if (!name.empty()) {
        auto it = std::find(outputNames.begin(), outputNames.end(), name);
        if (it == outputNames.end())
          return {Outcome::WrongResult, set.filename().string() + ": no output named '" +
                                            name + "'"};
        at = static_cast<size_t>(it - outputNames.begin());
      }
      want = asBFloat16IfDeclared(std::move(*want), (*outputs)[at]->type());
      TensorDifference d = compareTensors(*(*outputs)[at], *want, 1e-3, 1e-5);
      if (d.mismatch)
        return {Outcome::WrongResult, set.filename().string() + " output '" + name +
                                          "' (" + std::to_string(at) + "): " + d.problem};
    }
  }
  return {Outcome::Passed, ""};
}

/// Runs a test in a child with limits; the child reports over a pipe.
Result runIsolated(const fs::path &dir, int seconds, bool memoryCap, bool compiled,
                   const std::optional<Pipeline> &pipeline) {
  int fds[2];
  if (pipe(fds) != 0)
    return {Outcome::Crash, "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (memoryCap) { // (sanitizer builds reserve more address space)
      rlimit memory = {rlim_t(4) << 30, rlim_t(4) << 30};
      setrlimit(RLIMIT_AS, &memory);
    }
    alarm(seconds);
    Result result = runTest(dir, pipeline, compiled);
    std::string message = std::to_string(static_cast<int>(result.outcome)) +
                          " " + result.detail;
    (void)!write(fds[1], message.data(), message.size());
    _exit(0);
  }
  close(fds[1]);
  std::string message;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0)
    message.append(buffer, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (message.empty()) {
    std::string why = WIFSIGNALED(status)
                          ? std::string("killed by signal ") +
                                strsignal(WTERMSIG(status))
                          : "exit status " + std::to_string(WEXITSTATUS(status));
    return {Outcome::Crash, why};
  }
  size_t space = message.find(' ');
  return {static_cast<Outcome>(std::atoi(message.c_str())),
          space == std::string::npos ? "" : message.substr(space + 1)};
}

/// The op named in an "unsupported op X: ..." message.
std::string missingOp(const std::string &detail) {
  size_t at = detail.find("unsupported op ");
  if (at == std::string::npos)
    return "<non-default domain>";
  std::string rest = detail.substr(at + 15);
  std::string op = rest.substr(0, rest.find(':'));
  return op.empty() ? "<non-default domain>" : op;
}

int usage() {
  std::fprintf(stderr,
               "usage: onnx_conformance --data DIR [--dirs a,b,...] "
               "[--report FILE] [--floor FILE] [--write-floor FILE] [--passes PIPELINE|default] [--filter TEXT] [--timeout S] "
               "[--no-memory-cap] [--jobs N] [--compiled [--backend reference|halide]] "
               "[--strip-shapes intermediates|all]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string data = "/usr/share/libonnx-testdata/data", report, floorFile,
              writeFloor, filter;
  std::vector<std::string> dirs = {"node", "pytorch-converted",
                                   "pytorch-operator", "simple"};
  int timeout = 60;
  std::string passes; // "default" is the default pipeline
  bool compiled = false; // dlc's compile pipeline, code generation, the runtime
  int jobs = 1;          // tests at a time
  bool memoryCap = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--data") data = value();
    else if (arg == "--report") report = value();
    else if (arg == "--floor") floorFile = value();
    else if (arg == "--write-floor") writeFloor = value();
    else if (arg == "--filter") filter = value();
    else if (arg == "--timeout") timeout = std::atoi(value().c_str());
    else if (arg == "--no-memory-cap") memoryCap = false;
    else if (arg == "--compiled") compiled = true;
    else if (arg == "--backend") compileBackend = value();
    else if (arg == "--jobs") jobs = std::max(1, std::atoi(value().c_str()));
    else if (arg == "--passes") passes = value();
    else if (arg == "--strip-shapes") {
      std::optional<OnnxShapes> shapes = parseOnnxShapes(value());
      if (!shapes)
        return usage();
      importOptions.shapes = *shapes;
    }
    else if (arg == "--dirs") {
      dirs.clear();
      std::stringstream list(value());
      for (std::string d; std::getline(list, d, ',');)
        dirs.push_back(d);
    } else return usage();
  }
  std::optional<Pipeline> pipeline;
  if (compiled) { // --passes then names the compile pipeline
    compilePasses = passes;
  } else if (!passes.empty()) {
    Diagnostics diag;
    pipeline = Pipeline::parse(passes == "default" ? kDefaultPipeline : passes, diag);
    if (!pipeline) {
      std::fputs(diag.str().c_str(), stderr);
      return 1;
    }
  }
  if (!fs::is_directory(data)) {
    std::printf("[SKIP] ONNX test data not found at %s\n", data.c_str());
    return 0;
  }

  std::ostringstream details;
  std::map<std::string, std::array<int, kOutcomes>> counts;
  std::map<std::string, int> missing;
  std::set<std::string> passedTests; // "dir/test_name"
  for (const std::string &sub : dirs) {
    std::vector<fs::path> tests;
    for (const fs::directory_entry &entry : fs::directory_iterator(fs::path(data) / sub))
      if (fs::exists(entry.path() / "model.onnx") &&
          entry.path().filename().string().find(filter) != std::string::npos)
        tests.push_back(entry.path());
    std::sort(tests.begin(), tests.end());
    std::array<int, kOutcomes> &row = counts[sub];
    row.fill(0);
    // Tests run in forked children, `jobs` at a time (the parent's threads
    // only wait on their children).
    std::vector<Result> results(tests.size());
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    for (int j = 0; j < jobs; ++j)
      workers.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < tests.size();)
          results[i] = runIsolated(tests[i], timeout, memoryCap, compiled, pipeline);
      });
    for (std::thread &worker : workers)
      worker.join();
    for (size_t t = 0; t < tests.size(); ++t) {
      const fs::path &test = tests[t];
      const Result &result = results[t];
      ++row[static_cast<int>(result.outcome)];
      if (result.outcome == Outcome::Passed)
        passedTests.insert(sub + "/" + test.filename().string());
      details << sub << "/" << test.filename().string() << ": "
              << kOutcomeNames[static_cast<int>(result.outcome)];
      if (!result.detail.empty())
        details << ": " << result.detail;
      details << "\n";
      if (result.outcome == Outcome::UnsupportedOp)
        ++missing[missingOp(result.detail)];
    }
  }

  std::ostringstream table;
  char line[256];
  std::snprintf(line, sizeof(line), "%-18s %6s %7s %6s %6s %6s %6s %6s %6s %7s\n",
                "directory", "total", "passed", "wrong", "op", "dtype",
                "import", "run", "crash", "rate");
  table << line;
  int totalAll = 0, passedAll = 0;
  for (const auto &[sub, row] : counts) {
    int total = 0;
    for (int n : row)
      total += n;
    totalAll += total;
    passedAll += row[0];
    std::snprintf(line, sizeof(line),
                  "%-18s %6d %7d %6d %6d %6d %6d %6d %6d %6.1f%%\n", sub.c_str(),
                  total, row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                  total ? 100.0 * row[0] / total : 0.0);
    table << line;
  }
  std::snprintf(line, sizeof(line), "%-18s %6d %7d %56.1f%%\n", "all", totalAll,
                passedAll, totalAll ? 100.0 * passedAll / totalAll : 0.0);
  table << line;
  std::vector<std::pair<int, std::string>> byCount;
  for (const auto &[op, n] : missing)
    byCount.emplace_back(-n, op);
  std::sort(byCount.begin(), byCount.end());
  table << "\nunsupported ops (tests):";
  for (size_t i = 0; i < byCount.size(); ++i)
    table << (i ? ", " : " ") << byCount[i].second << " (" << -byCount[i].first << ")";
  table << "\n";

  std::cout << table.str();
  if (!report.empty()) {
    std::ofstream out(report);
    out << table.str() << "\n" << details.str();
  }

  if (!writeFloor.empty()) {
    std::ofstream out(writeFloor);
    out << "# The ONNX conformance tests that pass, one per line: each must keep\n"
           "# passing. Regenerate with onnx_conformance --write-floor FILE.\n";
    for (const std::string &name : passedTests)
      out << name << "\n";
  }
  if (floorFile.empty())
    return 0;
  std::ifstream in(floorFile);
  if (!in) {
    std::fprintf(stderr, "cannot read floor file %s\n", floorFile.c_str());
    return 1;
  }
  // Every listed test must pass, whatever else started passing: a count per
  // folder would hide a regression behind a new pass.
  std::set<std::string> floor;
  for (std::string name; std::getline(in, name);)
    if (!name.empty() && name[0] != '#')
      floor.insert(name);
  int status = 0;
  for (const std::string &name : floor) {
    std::string sub = name.substr(0, name.find('/'));
    if (std::find(dirs.begin(), dirs.end(), sub) == dirs.end() ||
        (!filter.empty() && name.find(filter) == std::string::npos))
      continue; // not run this time
    if (!passedTests.count(name)) {
      std::printf("FLOOR: %s passed before and fails now\n", name.c_str());
      status = 1;
    }
  }
  int newlyPassing = 0;
  for (const std::string &name : passedTests)
    if (!floor.count(name)) {
      std::printf("floor: %s passes and is not in the floor: add it\n", name.c_str());
      ++newlyPassing;
    }
  std::printf("floor: %zu listed, %zu passed, %d new\n", floor.size(),
              passedTests.size(), newlyPassing);
  return status;
}
