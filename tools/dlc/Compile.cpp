//===- Compile.cpp - `dlc compile`: model to artifact ---------------------===//

#include "codegen/halide/HalideBackend.h"
#include "codegen/program/EmitProgram.h"
#include "passes/Passes.h"
#include "passes/PlanMemory.h"
#include "tools/dlc/Driver.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

namespace dlc::tool {
namespace {

const CommandSpec kCompileSpec = withFlags(
    {"compile",
     "Compiles a model (.onnx or .dlir) into an artifact the runtime runs\n"
     "(`dlc run model.dlc`): the compile pipeline (" + std::string(kCompilePipeline) +
         ",\n"
         "then fuse for a native backend; or --passes), then the host program,\n"
         "its kernels and the weights in one checksummed file.",
     "MODEL",
     {{"output", 'o', true, "the artifact to write (required)", "FILE.dlc"},
      {"backend", 0, true,
       "kernels: halide (default: fused kernels compiled for this CPU, linked by cc; "
       "what it does not lower stays on the reference) or reference (the runtime's "
       "kernel library only)",
       "NAME"},
      {"schedule", 0, true,
       "native schedules: manual (default) or auto:NAME, a Halide autoscheduler "
       "(Adams2019, Li2018, Mullapudi2016)",
       "KIND"}},
     1,
     1},
    passFlags());

/// Instructions of each kind, over every function.
std::string programStats(const EmittedProgram &emitted) {
  const dlrt::program::Program &program = emitted.program;
  size_t counts[dlrt::program::kInstrKinds] = {}, weightBytes = 0;
  for (const dlrt::program::Function &fn : program.functions)
    for (const dlrt::program::Instr &instr : fn.body)
      ++counts[static_cast<size_t>(instr.kind)];
  for (const dlrt::program::Weight &weight : emitted.weights.weights)
    weightBytes += weight.data.size();
  char text[320];
  std::snprintf(text, sizeof text,
                "program: %zu functions, %zu ops, %zu native kernels, %zu calls, %zu if, %zu "
                "loop, %zu constants (%zu bytes of weights), %zu symbols\n",
                program.functions.size(), counts[0], counts[6], counts[3], counts[4],
                counts[5], counts[1], weightBytes, program.symbols.size());
  return text;
}

int runCompile(const ParsedArgs &args) {
  std::optional<std::string> output = args.get("output");
  if (!output)
    return userError("dlc compile needs -o FILE.dlc");
  EmitOptions options;
  std::optional<std::string> backend = backendOf(args);
  if (!backend)
    return kExitUser;
  options.backend = *backend;
  options.schedule = args.get("schedule").value_or("manual");
  if (options.schedule != "manual") {
    if (options.schedule.rfind("auto:", 0) != 0)
      return userError("--schedule must be manual or auto:NAME, got '" + options.schedule + "'");
    if (std::string why = HalideBackend::loadAutoscheduler(options.schedule.substr(5)); !why.empty())
      return userError(why);
  }
  Diagnostics diag;
  std::unique_ptr<Module> module = loadModel(args.positional[0], args, diag);
  if (!module || failed(runPasses(args, *module, diag,
                                  options.backend == "reference" ? kCompilePipeline
                                                                 : kNativeCompilePipeline)))
    return reportDiagnostics(diag);
  std::optional<EmittedProgram> emitted = emitProgram(*module, diag, options);
  if (!emitted)
    return reportDiagnostics(diag);
  std::vector<uint8_t> bytes = writeArtifact(*emitted);
  std::ofstream out(*output, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out.flush())
    return userError("cannot write '" + *output + "'");
  if (args.has("stats")) {
    std::fprintf(stderr, "%s", programStats(*emitted).c_str());
    if (options.backend != "reference") {
      size_t total = emitted->nativeOps + emitted->referenceOps;
      std::fprintf(stderr, "coverage: %zu of %zu ops in %s kernels (%.1f%%), %zu on the reference\n",
                   emitted->nativeOps, total, options.backend.c_str(),
                   total ? 100.0 * emitted->nativeOps / total : 100.0, emitted->referenceOps);
      // Why, most ops first.
      std::map<std::string, size_t> byReason;
      for (const dlrt::program::ReferenceNote &note : emitted->metadata.onReference)
        byReason[note.why] += static_cast<size_t>(note.ops);
      std::vector<std::pair<size_t, std::string>> reasons;
      for (const auto &[why, count] : byReason)
        reasons.push_back({count, why});
      std::sort(reasons.begin(), reasons.end(),
                [](const auto &a, const auto &b) { return a.first > b.first; });
      for (const auto &[count, why] : reasons)
        std::fprintf(stderr, "  on the reference: %zu (%s)\n", count, why.c_str());
    }
    ProgramMemory memory = planProgramMemory(*module, bindingsOf(args));
    std::fprintf(stderr,
                 "memory: planned peak %lld bytes, sum of all buffers %lld bytes (%.2fx)",
                 static_cast<long long>(memory.peakBytes),
                 static_cast<long long>(memory.totalBytes),
                 memory.peakBytes ? double(memory.totalBytes) / memory.peakBytes : 1.0);
    if (memory.runtimeSized)
      std::fprintf(stderr, "; %lld buffers sized at run time",
                   static_cast<long long>(memory.runtimeSized));
    std::fprintf(stderr, "\n");
  }
  return kExitOk;
}

} // namespace

const Subcommand kCompileCommand = {kCompileSpec, runCompile};

} // namespace dlc::tool
