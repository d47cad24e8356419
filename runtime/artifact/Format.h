//===- Format.h - The artifact container format ----------------*- C++ -*-===//
//
// A compiled model is one file: a fixed header, a section table and the
// sections' payloads. Little-endian throughout.
//
//   offset  size  field
//        0     8  magic "DLCART\0\0"
//        8     4  format version (kFormatVersion)
//       12     4  section count
//       16     8  file size in bytes
//       24     4  CRC-32 (IEEE) of every other byte of the file
//       28     4  reserved, 0
//       32  24*n  section table: kind u32, flags u32, offset u64, size u64
//        …        payloads, each at a 64-byte aligned offset
//
// The runtime trusts nothing in the file before the checksum holds and
// every section lies inside the file; a native-kernel section (a shared
// object) is only ever loaded after that. Unknown section kinds are
// skipped, so newer compilers can add sections old runtimes ignore.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_ARTIFACT_FORMAT_H
#define DLRT_ARTIFACT_FORMAT_H

#include <cstddef>
#include <cstdint>

namespace dlrt::artifact {

inline constexpr char kMagic[8] = {'D', 'L', 'C', 'A', 'R', 'T', 0, 0};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kSectionEntrySize = 24;
inline constexpr size_t kSectionAlignment = 64;
/// More sections than this is a corrupt file, not a model.
inline constexpr uint32_t kMaxSections = 4096;

/// What a section holds. Values are part of the format: never reuse one.
enum class SectionKind : uint32_t {
  Signature = 1,    ///< inputs and outputs: names, dtypes, symbolic shapes
  HostProgram = 2,  ///< the instruction list the runtime executes
  Kernels = 3,      ///< the kernel table
  Weights = 4,      ///< constant tensors, 64-byte aligned
  NativeObject = 5, ///< a shared object with generated kernels
  Metadata = 6,     ///< producer, options (informational)
};

/// CRC-32 (IEEE 802.3, reflected, as zlib) of `size` bytes, continuing
/// from `crc` (the CRC of the bytes before; 0 to start).
uint32_t crc32(const uint8_t *data, size_t size, uint32_t crc = 0);

/// The checksum of a whole file: every byte except the checksum field.
uint32_t fileChecksum(const uint8_t *data, size_t size);

} // namespace dlrt::artifact

#endif // DLRT_ARTIFACT_FORMAT_H
