//===- Bench.cpp - `dlc bench`: latency, profile and trace on the runtime -===//
//
// Runs a compiled model (a .dlc, or a model compiled in process) on the
// runtime: warm-up runs, then timed runs; prints median/min/max latency and
// the peak of buffer bytes held. --profile adds where the time went: each
// entry point's self time, and the host program's own overhead per kernel
// call, per branch and per loop (the instruction's time less what ran
// inside it). --trace writes one run as a Chrome trace (Perfetto,
// chrome://tracing); --json prints the results for scripts.
//
//===----------------------------------------------------------------------===//

#include "codegen/Compile.h"
#include "ir/Interpreter.h"
#include "passes/Passes.h"
#include "tools/dlc/Driver.h"
#include "tools/dlc/Runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

namespace dlc::tool {
namespace {

using namespace dlrt::program;
using Clock = std::chrono::steady_clock;

const CommandSpec kBenchSpec = withFlags(
    {"bench",
     "Times a compiled model (.dlc) or a model (.onnx, .dlir; compiled in\n"
     "process) on the runtime: median, min and max latency over --iters runs\n"
     "after --warmup runs, and the peak bytes of buffers held.",
     "MODEL.dlc|MODEL",
     {{"iters", 0, true, "timed runs (default 20)", "N"},
      {"warmup", 0, true, "untimed runs first (default 3)", "N"},
      {"profile", 0, false, "add per-entry-point and host-overhead tables"},
      {"trace", 0, true, "write one run as a Chrome trace (JSON)", "FILE.json"},
      {"json", 0, false, "print the results as JSON"},
      {"bind", 0, true, "compile a model with symbol NAME fixed to SIZE", "NAME=SIZE"},
      {"backend", 0, true, "compile a model with halide (default) or reference kernels", "NAME"}},
     1,
     1},
    concat(inputFlags(), modelFlags()));

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

/// Self times: an instruction's time less that of the instructions run
/// inside it (events arrive children first).
struct Profile {
  struct Row {
    int64_t count = 0;
    double self = 0, total = 0;
  };
  std::map<std::string, Row> rows; ///< "op NAME", "call", "if", "loop", ...
  double opSelf = 0;
  int64_t trips = 0; ///< loop iterations

  void add(const std::vector<Event> &events, const Program &program) {
    std::vector<double> children(64, 0.0);
    for (const Event &event : events) {
      size_t depth = static_cast<size_t>(event.depth);
      if (depth + 2 > children.size())
        children.resize(depth + 2, 0.0);
      double total = micros(event.end - event.begin);
      double self = total - children[depth + 1];
      children[depth + 1] = 0;
      children[depth] += total;
      std::string key = instrKindName(event.instr->kind);
      if (event.instr->kind == InstrKind::Op) {
        key += " " + program.entryPoints[event.instr->index];
        opSelf += self;
      } else if (event.instr->kind == InstrKind::Native) {
        // By node (one kernel may serve several identical ones): what the
        // IR dumps and the trace name.
        key += " " + event.instr->name + " (" + program.nativeKernels[event.instr->index] + ")";
        opSelf += self;
      }
      trips += event.trips;
      Row &row = rows[key];
      ++row.count;
      row.self += self;
      row.total += total;
    }
  }
};

std::optional<int> count(const ParsedArgs &args, const std::string &flag, int fallback) {
  std::optional<std::string> text = args.get(flag);
  if (!text)
    return fallback;
  char *end = nullptr;
  long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end || value < 0 || value > 1000000) {
    userError("--" + flag + " expects a count, got '" + *text + "'");
    return std::nullopt;
  }
  return static_cast<int>(value);
}

std::shared_ptr<const Executable> executableFor(const ParsedArgs &args) {
  const std::string &path = args.positional[0];
  std::string error;
  if (isArtifactFile(path)) {
    std::shared_ptr<const Executable> executable = loadExecutable(path, error);
    if (!executable)
      userError(error);
    return executable;
  }
  Diagnostics diag;
  std::unique_ptr<Module> module = loadModel(path, args, diag);
  CompileRequest request;
  request.bindings = bindingsOf(args);
  std::optional<std::string> backend = backendOf(args);
  if (!backend)
    return nullptr;
  request.emit.backend = *backend;
  std::optional<EmittedProgram> emitted =
      module ? compileModule(*module, request, diag) : std::nullopt;
  if (!emitted) {
    reportDiagnostics(diag);
    return nullptr;
  }
  std::shared_ptr<const Executable> executable = makeExecutable(std::move(*emitted), error);
  if (!executable)
    userError(error);
  return executable;
}

int writeTrace(const std::string &path, const std::vector<Event> &events,
               const Program &program, Clock::time_point start) {
  std::string json = "{\"traceEvents\": [\n";
  for (size_t i = 0; i < events.size(); ++i) {
    const Event &e = events[i];
    bool op = e.instr->kind == InstrKind::Op || e.instr->kind == InstrKind::Native;
    std::string name = e.instr->kind == InstrKind::Op
                           ? program.entryPoints[e.instr->index] + " " + e.instr->name
                          : std::string(instrKindName(e.instr->kind)) + " " + e.instr->name;
    for (char &c : name)
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20)
        c = '_';
    char line[128];
    std::snprintf(line, sizeof line,
                  "\", \"cat\": \"%s\", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, "
                  "\"pid\": 1, \"tid\": 1",
                  op ? "kernel" : "host", micros(e.begin - start), micros(e.end - e.begin));
    json += "  {\"name\": \"" + name + line + ", \"args\": {\"function\": \"" +
            e.function->name + "\"}}" + (i + 1 < events.size() ? ",\n" : "\n");
  }
  json += "]}\n";
  std::ofstream out(path);
  if (!(out << json))
    return userError("cannot write '" + path + "'");
  return kExitOk;
}

int runBench(const ParsedArgs &args) {
  std::optional<int> iters = count(args, "iters", 20), warmup = count(args, "warmup", 3);
  std::optional<int> threads = threadsOf(args);
  std::optional<int64_t> seed = seedOf(args);
  if (!iters || !warmup || !threads || !seed)
    return kExitUser;
  if (*iters == 0)
    return userError("--iters must be at least 1");
  std::shared_ptr<const Executable> executable = executableFor(args);
  if (!executable)
    return kExitUser;
  const Program &program = executable->program();
  std::optional<std::vector<TensorRef>> inputs =
      prepareInputs(args, inputSpecs(program), *seed, args.has("random-inputs"));
  if (!inputs)
    return kExitUser;
  SessionOptions options;
  options.threads = *threads;
  Session session(executable, options);
  // What an embedding host times: inputs viewed in place, outputs left in
  // the runtime's buffers (held until the next run, as a caller would).
  std::vector<BufferRef> buffers = viewTensors(*inputs), results;
  auto runOnce = [&]() -> int {
    Status status = session.run(buffers, results);
    return status.isOk() ? kExitOk : userError(args.positional[0] + ": " + status.message());
  };
  for (int i = 0; i < *warmup; ++i)
    if (int rc = runOnce())
      return rc;

  std::vector<double> times;
  for (int i = 0; i < *iters; ++i) {
    Clock::time_point begin = Clock::now();
    if (int rc = runOnce())
      return rc;
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                    : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;

  // Profiled runs (and the trace) observe every instruction.
  Profile profile;
  std::vector<Event> events;
  double profiledMicros = 0;
  bool profiling = args.has("profile") || args.get("trace");
  if (profiling) {
    session.setObserver([&](const Event &event) { events.push_back(event); });
    int runs = args.has("profile") ? *iters : 1;
    for (int i = 0; i < runs; ++i) {
      events.clear();
      Clock::time_point begin = Clock::now();
      if (int rc = runOnce())
        return rc;
      profiledMicros += micros(Clock::now() - begin);
      profile.add(events, program);
      if (std::optional<std::string> trace = args.get("trace"); trace && i == 0)
        if (int rc = writeTrace(*trace, events, program, begin); rc != kExitOk)
          return rc;
    }
    profiledMicros /= runs;
    session.setObserver(nullptr);
  }

  int threadCount = *threads > 0 ? *threads
                                 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (args.has("json")) {
    std::printf("{\"model\": \"%s\", \"median_ms\": %.6f, \"min_ms\": %.6f, \"max_ms\": %.6f, "
                "\"iterations\": %d, \"threads\": %d, \"peak_bytes\": %zu}\n",
                args.positional[0].c_str(), median, sorted.front(), sorted.back(), *iters,
                threadCount, session.peakBytes());
  } else {
    std::printf("%s: median %.4f ms, min %.4f ms, max %.4f ms over %d runs (%d threads); "
                "peak buffers %zu bytes\n",
                args.positional[0].c_str(), median, sorted.front(), sorted.back(), *iters,
                threadCount, session.peakBytes());
  }
  if (args.has("profile")) {
    int runs = *iters;
    std::printf("\nprofile (mean per run over %d runs, %.2f us per profiled run):\n", runs,
                profiledMicros);
    std::vector<std::pair<std::string, Profile::Row>> rows(profile.rows.begin(),
                                                           profile.rows.end());
    int width = 28;
    for (const auto &row : rows)
      width = std::max(width, static_cast<int>(row.first.size()));
    std::printf("  %-*s %10s %12s %12s\n", width, "instruction", "count", "self us", "us each");
    std::sort(rows.begin(), rows.end(),
              [](const auto &a, const auto &b) { return a.second.self > b.second.self; });
    for (const auto &[name, row] : rows)
      std::printf("  %-*s %10.1f %12.3f %12.3f\n", width, name.c_str(), double(row.count) / runs,
                  row.self / runs, row.self / row.count);
    double host = profiledMicros - profile.opSelf / runs;
    std::printf("  host overhead: %.3f us per run (%.1f%%): everything but the entry points\n",
                host, profiledMicros > 0 ? 100.0 * host / profiledMicros : 0.0);
    auto each = [&](const char *kind) {
      auto it = profile.rows.find(kind);
      return it == profile.rows.end() ? 0.0 : it->second.self / it->second.count;
    };
    auto loops = profile.rows.find("loop");
    double perTrip = loops == profile.rows.end() || profile.trips == 0
                         ? 0.0
                         : loops->second.self / double(profile.trips);
    std::printf("  per kernel call %.3f us, per branch %.3f us, per loop iteration %.3f us "
                "(self time)\n",
                each("call"), each("if"), perTrip);
  }
  return kExitOk;
}

} // namespace

const Subcommand kBenchCommand = {kBenchSpec, runBench};

} // namespace dlc::tool
