//===- ArtifactFuzzer.cpp - The runtime's artifact loader under libFuzzer -===//
//
// Bytes in, as dlrt_artifact_open_file reads a .dlc file. Each input is
// tried twice: as it is (the header and checksum checks), then with its
// size and checksum fields rewritten to hold, so the loader behind the
// checksum (host program and weights decoding, validation) and the
// executor see the mutated bytes too. That reaches what a checksum-less
// fuzz build would without one: the runtime fuzzed is the runtime shipped.
//
// What is fuzzed is the loader and the executor: decoding the host
// program and weights, validating them (registers, expressions,
// instruction operands, entry points and their type signatures,
// functions), creating a session, then running the program once on small
// inputs (0, 1, 2, ... repeating; symbolic dims 2) under tight session
// limits. That reaches the op entry points with params and register types
// no compiler wrote: each checks the dims it indexes by (kernels/Check.h).
// DLC_FUZZ_RUN_PROGRAMS=0 stops after the session is made. Artifacts with
// a NativeObject section are not loaded: a native
// object is machine code, trusted as the compiler's output once the
// checksum holds, not a format to validate.
//
//===----------------------------------------------------------------------===//

#include "artifact/Artifact.h"
#include "program/Executor.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace dlrt;

namespace {

const bool runPrograms = [] {
  const char *run = std::getenv("DLC_FUZZ_RUN_PROGRAMS");
  return !run || std::string(run) != "0";
}();

/// Element i of `buffer` = i % 3 (0, 1, 2: indices, counts and conditions
/// that vary, values with no rounding); bools alternate.
void fillSmall(program::Buffer &buffer) {
  using kernels::ElementType;
  auto *bytes = static_cast<uint8_t *>(buffer.data());
  size_t size = kernels::elementSize(buffer.type());
  for (int64_t i = 0; i < buffer.view().numElements(); ++i) {
    uint8_t *at = bytes + size_t(i) * size;
    float value = float(i % 3);
    switch (buffer.type()) {
    case ElementType::F32: std::memcpy(at, &value, 4); break;
    case ElementType::F64: {
      double wide = value;
      std::memcpy(at, &wide, 8);
      break;
    }
    case ElementType::F16: at[1] = i % 3 == 0 ? 0 : i % 3 == 1 ? 0x3C : 0x40; break;
    case ElementType::BF16:
      at[1] = i % 3 == 0 ? 0 : i % 3 == 1 ? 0x3F : 0x40;
      at[0] = i % 3 == 1 ? 0x80 : 0;
      break;
    case ElementType::Bool: at[0] = uint8_t(i % 2); break;
    default: at[0] = uint8_t(i % 3); break; // integers, little-endian
    }
  }
}

/// Zero-filled inputs with the declared static dims (others 2); none when
/// an input is unranked or too large to be worth running.
bool makeInputs(const program::Program &program, std::vector<program::BufferRef> &inputs) {
  for (const program::Port &port : program.inputs) {
    if (!port.ranked || port.dims.size() > 6)
      return false;
    std::vector<int64_t> dims;
    int64_t elements = 1;
    for (const std::string &dim : port.dims) {
      int64_t size = 2;
      if (!dim.empty() && dim.size() < 4 && dim.find_first_not_of("0123456789") == std::string::npos)
        size = std::stoll(dim);
      dims.push_back(size);
      elements *= size;
      if (elements > 4096)
        return false;
    }
    program::BufferRef buffer;
    if (!program::Buffer::allocate(port.type, dims, size_t(1) << 20, buffer).isOk())
      return false;
    fillSmall(*buffer);
    inputs.push_back(std::move(buffer));
  }
  return true;
}

void loadAndRun(std::vector<uint8_t> bytes) {
  std::optional<artifact::Artifact> artifact;
  if (!artifact::Artifact::open(std::move(bytes), artifact).isOk())
    return;
  if (artifact->section(artifact::SectionKind::NativeObject))
    return;
  std::shared_ptr<const program::Executable> executable;
  if (!program::Executable::load(*artifact, executable).isOk())
    return;
  program::SessionOptions options;
  options.threads = 1;
  options.maxBufferBytes = size_t(256) << 10;
  options.maxLoopIterations = 256;
  program::Session session(executable, options);
  std::vector<program::BufferRef> inputs, outputs;
  if (runPrograms && makeInputs(executable->program(), inputs))
    (void)session.run(inputs, outputs);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  loadAndRun(bytes);
  if (size >= artifact::kHeaderSize) {
    // The size field (offset 16) and the checksum (24), made to hold.
    uint64_t declared = size;
    std::memcpy(bytes.data() + 16, &declared, sizeof declared);
    uint32_t checksum = artifact::fileChecksum(bytes.data(), size);
    std::memcpy(bytes.data() + 24, &checksum, sizeof checksum);
    loadAndRun(std::move(bytes));
  }
  return 0;
}
