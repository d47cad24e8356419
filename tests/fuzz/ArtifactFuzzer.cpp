//===- ArtifactFuzzer.cpp - The runtime's artifact loader under libFuzzer -===//
//
// Bytes in, as dlrt_artifact_open_file reads a .dlc file. Each input is
// tried twice: as it is (the header and checksum checks), then with its
// size and checksum fields rewritten to hold, so the loader behind the
// checksum (host program and weights decoding, validation) and the
// executor see the mutated bytes too. That reaches what a checksum-less
// fuzz build would without one: the runtime fuzzed is the runtime shipped.
//
// What is fuzzed is the loader: decoding the host program and weights,
// validating them (registers, expressions, instruction operands, entry
// points, functions) and creating a session. With DLC_FUZZ_RUN_PROGRAMS=1
// a loaded program also runs once on small inputs (zeros; symbolic dims 2)
// under tight session limits; that reaches the kernels with op params and
// register types no compiler wrote, which not every kernel re-validates yet
// (conv and the elementwise kernels do; reductions, indexing, linalg and
// shape ops still trust their result dims), so it is for long runs, not CI. Artifacts with a NativeObject section are not loaded: a native
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
  return run && std::string(run) == "1";
}();

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
