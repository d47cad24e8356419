//===- Inspect.cpp - `dlc inspect`: what an artifact holds ----------------===//

#include "artifact/Artifact.h"
#include "ops/Params.h"
#include "tools/dlc/Driver.h"
#include "tools/dlc/Runtime.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace dlc::tool {
namespace {

using namespace dlrt::program;

const CommandSpec kInspectSpec = {
    "inspect",
    "Prints what a compiled model (.dlc) holds: its sections, signature,\n"
    "symbols, functions (the host program and each kernel with its ops) and\n"
    "weights.",
    "MODEL.dlc",
    {},
    1,
    1};

const char *sectionName(dlrt::artifact::SectionKind kind) {
  switch (kind) {
  case dlrt::artifact::SectionKind::Signature: return "signature";
  case dlrt::artifact::SectionKind::HostProgram: return "host program";
  case dlrt::artifact::SectionKind::Kernels: return "kernels";
  case dlrt::artifact::SectionKind::Weights: return "weights";
  case dlrt::artifact::SectionKind::NativeObject: return "native object";
  case dlrt::artifact::SectionKind::Metadata: return "metadata";
  }
  return "unknown";
}

std::string portText(const Port &port) {
  std::string text = port.name + ": " + dlrt::kernels::elementTypeName(port.type);
  if (!port.ranked)
    return text + "[*]";
  text += "[";
  for (size_t i = 0; i < port.dims.size(); ++i)
    text += (i ? "," : "") + port.dims[i];
  return text + "]";
}

int runInspect(const ParsedArgs &args) {
  const std::string &path = args.positional[0];
  std::optional<dlrt::artifact::Artifact> artifact;
  dlrt::kernels::Status status = dlrt::artifact::Artifact::openFile(path, artifact);
  std::shared_ptr<const Executable> executable;
  if (status.isOk())
    status = Executable::load(*artifact, executable);
  if (!status.isOk())
    return userError(path + ": " + status.message());
  const Program &program = executable->program();
  // The compiler's notes (informational: an artifact whose metadata does
  // not decode, as one written before they existed, prints none).
  Metadata metadata;
  const dlrt::artifact::Section *notes = artifact->section(dlrt::artifact::SectionKind::Metadata);
  if (!notes || !dlrt::ops::decodeParams(metadata, notes->data, notes->size, "metadata").isOk())
    metadata = {};

  std::printf("artifact: format version %u, %zu sections\n", artifact->version(),
              artifact->sections().size());
  for (const dlrt::artifact::Section &section : artifact->sections())
    std::printf("  %-13s %zu bytes\n", sectionName(section.kind), section.size);
  std::printf("signature:\n");
  for (const Port &port : program.inputs)
    std::printf("  input  %s\n", portText(port).c_str());
  for (const Port &port : program.outputs)
    std::printf("  output %s\n", portText(port).c_str());
  std::string symbols;
  for (const Symbol &symbol : program.symbols)
    symbols += std::string(symbols.empty() ? "" : ", ") + (symbol.dataDependent ? "?" : "") +
               symbol.name;
  std::printf("symbols: %s\n", symbols.empty() ? "none" : symbols.c_str());
  // (`?name`: bound at run time from the data)

  // A function is a kernel if only calls reach it and it runs only ops.
  std::printf("functions: %zu\n", program.functions.size());
  for (const Function &fn : program.functions) {
    std::map<std::string, int> ops;
    size_t counts[dlrt::program::kInstrKinds] = {};
    for (const Instr &instr : fn.body) {
      ++counts[static_cast<size_t>(instr.kind)];
      if (instr.kind == InstrKind::Op)
        ++ops[program.entryPoints[instr.index]];
    }
    bool kernel = counts[3] + counts[4] + counts[5] == 0;
    size_t arenaResults = 0;
    for (const Instr &instr : fn.body)
      for (int64_t offset : instr.arenaOffsets)
        arenaResults += offset >= 0;
    std::printf("  @%s: %s, %zu instructions, %zu registers\n", fn.name.c_str(),
                kernel ? "kernel" : "host", fn.body.size(), fn.registers.size());
    if (fn.arenaBytes > 0)
      std::printf("    memory: arena %lld bytes for %zu planned intermediates\n",
                  static_cast<long long>(fn.arenaBytes), arenaResults);
    if (!kernel)
      std::printf("    control: %zu call, %zu if, %zu loop\n", counts[3], counts[4], counts[5]);
    if (!ops.empty()) {
      std::string list;
      for (const auto &[name, count] : ops)
        list += (list.empty() ? "" : ", ") + name + (count > 1 ? " x" + std::to_string(count) : "");
      std::printf("    reference ops: %s\n", list.c_str());
    }
    // Why the compiler left them there, most ops first.
    std::map<std::string, std::pair<int64_t, std::map<std::string, int>>> why;
    for (const ReferenceNote &note : metadata.onReference)
      if (note.function == fn.name) {
        why[note.why].first += note.ops;
        ++why[note.why].second[note.instr];
      }
    std::vector<std::pair<int64_t, std::string>> order;
    for (const auto &[reason, entry] : why)
      order.push_back({entry.first, reason});
    std::stable_sort(order.begin(), order.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    for (const auto &[ops, reason] : order) {
      // The instructions' names (a rewrite's ops keep their source's).
      std::string names;
      size_t shown = 0;
      for (const auto &[name, count] : why[reason].second)
        if (shown++ < 3)
          names += (names.empty() ? "" : ", ") + name + (count > 1 ? " x" + std::to_string(count) : "");
      if (shown > 3)
        names += ", ... (" + std::to_string(shown) + " names)";
      std::printf("    on the reference: %lld op%s, %s: %s\n", static_cast<long long>(ops),
                  ops == 1 ? "" : "s", reason.c_str(), names.c_str());
    }
    std::map<std::string, int> natives;
    for (const Instr &instr : fn.body)
      if (instr.kind == InstrKind::Native)
        ++natives[program.nativeProviders.at(instr.index)];
    for (const auto &[provider, count] : natives)
      std::printf("    native kernels: %d (%s)\n", count, provider.c_str());
  }
  size_t bytes = 0;
  for (const dlrt::program::Weight &weight : executable->weights().weights)
    bytes += weight.data.size();
  std::printf("weights: %zu tensors, %zu bytes\n", executable->weights().weights.size(), bytes);
  return kExitOk;
}

} // namespace

const Subcommand kInspectCommand = {kInspectSpec, runInspect};

} // namespace dlc::tool
