//===- Artifact.h - Writing and reading artifact containers ----*- C++ -*-===//
//
// ArtifactWriter lays sections out in the container format (Format.h);
// Artifact validates a container before anything reads it: header, size,
// checksum, section table. Both are dependency-free so the compiler writes
// with the same code the runtime reads with.
//
// Thread safety: a validated Artifact is immutable and may be read from any
// thread; a writer is used by one thread.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_ARTIFACT_ARTIFACT_H
#define DLRT_ARTIFACT_ARTIFACT_H

#include "artifact/Format.h"
#include "kernels/ElementType.h"

#include <optional>
#include <string>
#include <vector>

namespace dlrt::artifact {

class ArtifactWriter {
public:
  /// Adds a section; sections are laid out in the order added.
  void addSection(SectionKind kind, std::vector<uint8_t> payload, uint32_t flags = 0);
  /// The whole file.
  std::vector<uint8_t> finish() const;

private:
  struct Pending {
    SectionKind kind;
    uint32_t flags;
    std::vector<uint8_t> payload;
  };
  std::vector<Pending> sections_;
};

/// A section of a validated artifact: a view into its bytes.
struct Section {
  SectionKind kind;
  uint32_t flags;
  const uint8_t *data;
  size_t size;
};

class Artifact {
public:
  /// Validates `bytes` (taking them over) as an artifact; on failure the
  /// status says what is wrong (truncated, not an artifact, unsupported
  /// version, checksum mismatch, a section outside the file, ...).
  static kernels::Status open(std::vector<uint8_t> bytes, std::optional<Artifact> &out);
  /// Reads and validates a file (at most `maxBytes`: a larger file is an
  /// error before anything is allocated).
  static kernels::Status openFile(const std::string &path, std::optional<Artifact> &out,
                                  size_t maxBytes = size_t(16) << 30);

  uint32_t version() const { return version_; }
  const std::vector<Section> &sections() const { return sections_; }
  /// The first section of `kind`, or null.
  const Section *section(SectionKind kind) const;

private:
  std::vector<uint8_t> bytes_;
  uint32_t version_ = 0;
  std::vector<Section> sections_;
};

} // namespace dlrt::artifact

#endif // DLRT_ARTIFACT_ARTIFACT_H
