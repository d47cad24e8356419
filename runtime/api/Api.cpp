//===- Api.cpp - The C API over the runtime's C++ pieces ------------------===//

#include "dlrt.h"

#include "artifact/Artifact.h"

#include <new>
#include <optional>
#include <string>

struct dlrt_status_t {
  std::string message;
};

struct dlrt_artifact_t {
  dlrt::artifact::Artifact artifact;
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

} // extern "C"
