//===- Artifact.cpp - Writing and reading artifact containers -------------===//

#include "artifact/Artifact.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>

namespace dlrt::artifact {

uint32_t crc32(const uint8_t *data, size_t size, uint32_t crc) {
  // Slicing by 8: eight bytes per step through eight tables, not a table
  // lookup per byte (a 330 MB artifact is checked at every load).
  static const std::array<std::array<uint32_t, 256>, 8> tables = [] {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (size_t k = 1; k < 8; ++k)
      for (uint32_t i = 0; i < 256; ++i)
        t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    return t;
  }();
  crc ^= 0xFFFFFFFFu;
  for (; size >= 8; data += 8, size -= 8) {
    uint32_t one, two; // (little-endian words)
    std::memcpy(&one, data, 4);
    std::memcpy(&two, data + 4, 4);
    one ^= crc;
    crc = tables[7][one & 0xFF] ^ tables[6][(one >> 8) & 0xFF] ^ tables[5][(one >> 16) & 0xFF] ^
          tables[4][one >> 24] ^ tables[3][two & 0xFF] ^ tables[2][(two >> 8) & 0xFF] ^
          tables[1][(two >> 16) & 0xFF] ^ tables[0][two >> 24];
  }
  for (; size > 0; ++data, --size)
    crc = tables[0][(crc ^ *data) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t fileChecksum(const uint8_t *data, size_t size) {
  return crc32(data + 28, size - 28, crc32(data, 24));
}

namespace {

template <typename T> void put(std::vector<uint8_t> &out, size_t at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

template <typename T> T get(const uint8_t *in) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= uint64_t(in[i]) << (8 * i);
  return static_cast<T>(value);
}

size_t alignUp(size_t value) {
  return (value + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

} // namespace

void ArtifactWriter::addSection(SectionKind kind, std::vector<uint8_t> payload,
                                uint32_t flags) {
  sections_.push_back({kind, flags, std::move(payload)});
}

std::vector<uint8_t> ArtifactWriter::finish() const {
  size_t offset = alignUp(kHeaderSize + kSectionEntrySize * sections_.size());
  std::vector<size_t> offsets;
  for (const Pending &section : sections_) {
    offsets.push_back(offset);
    offset = alignUp(offset + section.payload.size());
  }
  // The header and table zeroed, then each section after zero padding (not
  // the whole file zeroed first: a model's weights are hundreds of MB).
  std::vector<uint8_t> out;
  out.reserve(offset);
  out.resize(kHeaderSize + kSectionEntrySize * sections_.size(), 0);
  for (size_t i = 0; i < sections_.size(); ++i) {
    out.resize(offsets[i], 0);
    out.insert(out.end(), sections_[i].payload.begin(), sections_[i].payload.end());
  }
  out.resize(offset, 0);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  put<uint32_t>(out, 8, kFormatVersion);
  put<uint32_t>(out, 12, static_cast<uint32_t>(sections_.size()));
  put<uint64_t>(out, 16, out.size());
  for (size_t i = 0; i < sections_.size(); ++i) {
    size_t entry = kHeaderSize + kSectionEntrySize * i;
    put<uint32_t>(out, entry, static_cast<uint32_t>(sections_[i].kind));
    put<uint32_t>(out, entry + 4, sections_[i].flags);
    put<uint64_t>(out, entry + 8, offsets[i]);
    put<uint64_t>(out, entry + 16, sections_[i].payload.size());
  }
  put<uint32_t>(out, 24, fileChecksum(out.data(), out.size()));
  return out;
}

kernels::Status Artifact::open(std::vector<uint8_t> bytes, std::optional<Artifact> &out) {
  using kernels::Status;
  out.reset();
  size_t size = bytes.size();
  if (size < kHeaderSize)
    return Status::error("not a dlc artifact: " + std::to_string(size) +
                         " bytes is shorter than the header (truncated?)");
  const uint8_t *data = bytes.data();
  if (std::memcmp(data, kMagic, sizeof(kMagic)) != 0)
    return Status::error("not a dlc artifact (bad magic)");
  uint32_t version = get<uint32_t>(data + 8);
  if (version != kFormatVersion)
    return Status::error("artifact format version " + std::to_string(version) +
                         " is not supported (this runtime reads version " +
                         std::to_string(kFormatVersion) + ")");
  uint64_t declared = get<uint64_t>(data + 16);
  if (declared != size)
    return Status::error("artifact is " + std::to_string(size) + " bytes but declares " +
                         std::to_string(declared) + " (truncated or padded)");
  uint32_t checksum = get<uint32_t>(data + 24);
  if (checksum != fileChecksum(data, size))
    return Status::error("artifact checksum mismatch (the file is corrupted)");
  if (get<uint32_t>(data + 28) != 0)
    return Status::error("artifact header is malformed (reserved field set)");
  uint32_t count = get<uint32_t>(data + 12);
  if (count > kMaxSections || kHeaderSize + uint64_t(count) * kSectionEntrySize > size)
    return Status::error("artifact section table is malformed");
  Artifact artifact;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *entry = data + kHeaderSize + kSectionEntrySize * i;
    uint64_t offset = get<uint64_t>(entry + 8), length = get<uint64_t>(entry + 16);
    if (offset > size || length > size - offset)
      return Status::error("artifact section " + std::to_string(i) +
                           " lies outside the file");
    artifact.sections_.push_back({static_cast<SectionKind>(get<uint32_t>(entry)),
                                  get<uint32_t>(entry + 4), data + offset,
                                  static_cast<size_t>(length)});
  }
  artifact.version_ = version;
  artifact.bytes_ = std::move(bytes); // the buffer, and so the views, stay put
  out = std::move(artifact);
  return Status::ok();
}

kernels::Status Artifact::openFile(const std::string &path, std::optional<Artifact> &out,
                                   size_t maxBytes) {
  using kernels::Status;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    return Status::error("cannot open '" + path + "'");
  std::streamoff length = in.tellg();
  if (length < 0 || static_cast<uint64_t>(length) > maxBytes)
    return Status::error("'" + path + "' is larger than the artifact size limit");
  std::vector<uint8_t> bytes(static_cast<size_t>(length));
  in.seekg(0);
  in.read(reinterpret_cast<char *>(bytes.data()), length);
  if (!in)
    return Status::error("cannot read '" + path + "'");
  Status status = open(std::move(bytes), out);
  return status.isOk() ? status : Status::error(path + ": " + status.message());
}

const Section *Artifact::section(SectionKind kind) const {
  for (const Section &section : sections_)
    if (section.kind == kind)
      return &section;
  return nullptr;
}

} // namespace dlrt::artifact
