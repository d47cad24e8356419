//===- Api.cpp - The C API over the runtime's C++ pieces ------------------===//

#include "dlrt.h"

#include "artifact/Artifact.h"
#include "program/Executor.h"

#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>
#include <optional>
#include <string>

struct dlrt_status_t {
  std::string message;
};

struct dlrt_artifact_t {
  dlrt::artifact::Artifact artifact;
};

struct dlrt_program_t {
  std::shared_ptr<const dlrt::program::Executable> executable;
  /// Per port: the dims as C strings (pointers into the program's ports).
  std::vector<std::vector<const char *>> inputDims, outputDims;
};

struct dlrt_session_t {
  mutable std::mutex mutex; ///< each call holds it: calls from several threads take turns
  std::unique_ptr<dlrt::program::Session> session;
  std::vector<dlrt::program::BufferRef> inputs, outputs;
};

namespace {

dlrt_status makeStatus(std::string message) {
  // Allocation failure while reporting an error: a fixed message instead.
  static dlrt_status_t outOfMemory{"out of memory"};
  dlrt_status status = new (std::nothrow) dlrt_status_t{std::move(message)};
  return status ? status : &outOfMemory;
}

dlrt_status finishOpen(const dlrt::kernels::Status &status,
                       std::optional<dlrt::artifact::Artifact> &artifact,
                       dlrt_artifact **out) {
  if (!status.isOk())
    return makeStatus(status.message());
  *out = new (std::nothrow) dlrt_artifact_t{std::move(*artifact)};
  return *out ? nullptr : makeStatus("out of memory");
}

} // namespace

extern "C" {

const char *dlrt_status_message(dlrt_status status) {
  return status ? status->message.c_str() : "ok";
}

void dlrt_status_free(dlrt_status status) {
  if (status && status->message != "out of memory")
    delete status;
}

dlrt_status dlrt_artifact_open_file(const char *path, dlrt_artifact **out_artifact) {
  if (!path || !out_artifact)
    return makeStatus("dlrt_artifact_open_file: null argument");
  *out_artifact = nullptr;
  try {
    std::optional<dlrt::artifact::Artifact> artifact;
    return finishOpen(dlrt::artifact::Artifact::openFile(path, artifact), artifact,
                      out_artifact);
  } catch (const std::bad_alloc &) {
    return makeStatus("out of memory");
  }
}

dlrt_status dlrt_artifact_open_memory(const void *data, size_t size,
                                      dlrt_artifact **out_artifact) {
  if ((!data && size) || !out_artifact)
    return makeStatus("dlrt_artifact_open_memory: null argument");
  *out_artifact = nullptr;
  try {
    const auto *bytes = static_cast<const uint8_t *>(data);
    std::optional<dlrt::artifact::Artifact> artifact;
    return finishOpen(dlrt::artifact::Artifact::open(
                          std::vector<uint8_t>(bytes, bytes + size), artifact),
                      artifact, out_artifact);
  } catch (const std::bad_alloc &) {
    return makeStatus("out of memory");
  }
}

void dlrt_artifact_release(dlrt_artifact *artifact) { delete artifact; }

uint32_t dlrt_artifact_format_version(const dlrt_artifact *artifact) {
  return artifact ? artifact->artifact.version() : 0;
}

size_t dlrt_artifact_section_count(const dlrt_artifact *artifact) {
  return artifact ? artifact->artifact.sections().size() : 0;
}

dlrt_status dlrt_artifact_section_info(const dlrt_artifact *artifact, size_t index,
                                       uint32_t *out_kind, uint64_t *out_size) {
  if (!artifact || !out_kind || !out_size)
    return makeStatus("dlrt_artifact_section_info: null argument");
  if (index >= artifact->artifact.sections().size())
    return makeStatus("dlrt_artifact_section_info: no section " + std::to_string(index));
  const dlrt::artifact::Section &section = artifact->artifact.sections()[index];
  *out_kind = static_cast<uint32_t>(section.kind);
  *out_size = section.size;
  return nullptr;
}

dlrt_status dlrt_program_load(const dlrt_artifact *artifact, dlrt_program **out_program) {
  if (!artifact || !out_program)
    return makeStatus("dlrt_program_load: null argument");
  *out_program = nullptr;
  try {
    auto program = std::make_unique<dlrt_program_t>();
    dlrt::kernels::Status status =
        dlrt::program::Executable::load(artifact->artifact, program->executable);
    if (!status.isOk())
      return makeStatus(status.message());
    auto dims = [](const std::vector<dlrt::program::Port> &ports,
                   std::vector<std::vector<const char *>> &out) {
      for (const dlrt::program::Port &port : ports) {
        out.emplace_back();
        for (const std::string &dim : port.dims)
          out.back().push_back(dim.c_str());
      }
    };
    dims(program->executable->program().inputs, program->inputDims);
    dims(program->executable->program().outputs, program->outputDims);
    *out_program = program.release();
    return nullptr;
  } catch (const std::bad_alloc &) {
    return makeStatus("out of memory");
  }
}

void dlrt_program_release(dlrt_program *program) { delete program; }

size_t dlrt_program_input_count(const dlrt_program *program) {
  return program ? program->executable->program().inputs.size() : 0;
}

size_t dlrt_program_output_count(const dlrt_program *program) {
  return program ? program->executable->program().outputs.size() : 0;
}

namespace {

dlrt_status portInfo(const char *function, const std::vector<dlrt::program::Port> &ports,
                     const std::vector<std::vector<const char *>> &dims, size_t index,
                     const char **out_name, dlrt_element_type *out_type, int64_t *out_rank,
                     const char *const **out_dims) {
  if (!out_name || !out_type || !out_rank || !out_dims)
    return makeStatus(std::string(function) + ": null argument");
  if (index >= ports.size())
    return makeStatus(std::string(function) + ": no port " + std::to_string(index));
  const dlrt::program::Port &port = ports[index];
  *out_name = port.name.c_str();
  *out_type = static_cast<dlrt_element_type>(port.type);
  *out_rank = port.ranked ? static_cast<int64_t>(port.dims.size()) : -1;
  *out_dims = dims[index].data();
  return nullptr;
}

dlrt_status findPort(const dlrt_program *program, const char *name, size_t *out_index,
                     bool input) {
  const char *what = input ? "input" : "output";
  if (!program || !name || !out_index)
    return makeStatus(std::string("dlrt_program_find_") + what + ": null argument");
  const dlrt::program::Program &p = program->executable->program();
  const auto &ports = input ? p.inputs : p.outputs;
  for (size_t i = 0; i < ports.size(); ++i)
    if (ports[i].name == name) {
      *out_index = i;
      return nullptr;
    }
  return makeStatus(std::string("the program has no ") + what + " '" + name + "'");
}

} // namespace

dlrt_status dlrt_program_input_info(const dlrt_program *program, size_t index,
                                    const char **out_name, dlrt_element_type *out_type,
                                    int64_t *out_rank, const char *const **out_dims) {
  if (!program)
    return makeStatus("dlrt_program_input_info: null argument");
  return portInfo("dlrt_program_input_info", program->executable->program().inputs,
                  program->inputDims, index, out_name, out_type, out_rank, out_dims);
}

dlrt_status dlrt_program_output_info(const dlrt_program *program, size_t index,
                                     const char **out_name, dlrt_element_type *out_type,
                                     int64_t *out_rank, const char *const **out_dims) {
  if (!program)
    return makeStatus("dlrt_program_output_info: null argument");
  return portInfo("dlrt_program_output_info", program->executable->program().outputs,
                  program->outputDims, index, out_name, out_type, out_rank, out_dims);
}

dlrt_status dlrt_program_find_input(const dlrt_program *program, const char *name,
                                    size_t *out_index) {
  return findPort(program, name, out_index, true);
}

dlrt_status dlrt_program_find_output(const dlrt_program *program, const char *name,
                                     size_t *out_index) {
  return findPort(program, name, out_index, false);
}

dlrt_status dlrt_session_create(const dlrt_program *program,
                                const dlrt_session_options *options,
                                dlrt_session **out_session) {
  if (!program || !out_session)
    return makeStatus("dlrt_session_create: null argument");
  *out_session = nullptr;
  try {
    dlrt::program::SessionOptions sessionOptions;
    if (options) {
      if (options->threads < 0)
        return makeStatus("dlrt_session_create: threads must not be negative");
      sessionOptions.threads = options->threads;
      if (options->max_buffer_bytes)
        sessionOptions.maxBufferBytes = options->max_buffer_bytes;
    }
    auto session = std::make_unique<dlrt_session_t>();
    session->session =
        std::make_unique<dlrt::program::Session>(program->executable, sessionOptions);
    session->inputs.resize(program->executable->program().inputs.size());
    *out_session = session.release();
    return nullptr;
  } catch (const std::exception &error) {
    return makeStatus(std::string("dlrt_session_create: ") + error.what());
  }
}

void dlrt_session_release(dlrt_session *session) { delete session; }

dlrt_status dlrt_session_set_input(dlrt_session *session, size_t index,
                                   dlrt_element_type type, const int64_t *dims, size_t rank,
                                   const void *data, size_t bytes) {
  if (!session || (!dims && rank) || (!data && bytes))
    return makeStatus("dlrt_session_set_input: null argument");
  if (index >= session->inputs.size())
    return makeStatus("dlrt_session_set_input: the program has " +
                      std::to_string(session->inputs.size()) + " inputs, not " +
                      std::to_string(index + 1));
  if (static_cast<uint32_t>(type) > DLRT_BOOL)
    return makeStatus("dlrt_session_set_input: unknown element type");
  try {
    std::vector<int64_t> shape(dims, dims + rank);
    std::lock_guard<std::mutex> lock(session->mutex);
    auto elementType = static_cast<dlrt::kernels::ElementType>(type);
    std::optional<size_t> expected = dlrt::program::byteSize(elementType, shape);
    if (!expected || *expected != bytes)
      return makeStatus("dlrt_session_set_input: input " + std::to_string(index) +
                        ": the dims need " +
                        (expected ? std::to_string(*expected) : std::string("too many")) +
                        " bytes, got " + std::to_string(bytes));
    session->inputs[index] =
        dlrt::program::Buffer::view(elementType, std::move(shape), const_cast<void *>(data));
    return nullptr;
  } catch (const std::bad_alloc &) {
    return makeStatus("out of memory");
  }
}

dlrt_status dlrt_session_run(dlrt_session *session) {
  if (!session)
    return makeStatus("dlrt_session_run: null argument");
  try {
    std::lock_guard<std::mutex> lock(session->mutex);
    session->outputs.clear();
    dlrt::kernels::Status status = session->session->run(session->inputs, session->outputs);
    return status.isOk() ? nullptr : makeStatus(status.message());
  } catch (const std::bad_alloc &) {
    return makeStatus("out of memory");
  }
}

dlrt_status dlrt_session_output(const dlrt_session *session, size_t index,
                                dlrt_element_type *out_type, const int64_t **out_dims,
                                size_t *out_rank, const void **out_data, size_t *out_bytes) {
  if (!session || !out_type || !out_dims || !out_rank || !out_data || !out_bytes)
    return makeStatus("dlrt_session_output: null argument");
  std::lock_guard<std::mutex> lock(session->mutex);
  if (index >= session->outputs.size())
    return makeStatus("dlrt_session_output: no output " + std::to_string(index) +
                      " (run first)");
  const dlrt::program::Buffer &buffer = *session->outputs[index];
  *out_type = static_cast<dlrt_element_type>(buffer.type());
  *out_dims = buffer.dims().data();
  *out_rank = buffer.dims().size();
  *out_data = buffer.data();
  *out_bytes = buffer.bytes();
  return nullptr;
}

uint64_t dlrt_session_peak_bytes(const dlrt_session *session) {
  return session ? session->session->peakBytes() : 0;
}

} // extern "C"
