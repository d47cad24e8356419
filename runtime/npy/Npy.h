//===- Npy.h - The NumPy .npy format, without a tensor class ---*- C++ -*-===//
//
// Version 1.0/2.0/3.0 .npy files with the little-endian (or byte-order-free)
// element types the runtime has; C order only. The one reader and writer of
// the format: the compiler's tools wrap it for IR tensors
// (frontends/npy), and `dlrt-run`, which links the runtime alone, uses it
// directly. Sizes are checked against the bytes before anything is
// allocated; the header is parsed by hand (bounded work, no recursion), since
// a file is user input.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NPY_NPY_H
#define DLRT_NPY_NPY_H

#include "kernels/ElementType.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlrt::npy {

/// Largest dimension read (the IR's limit, 2^40).
inline constexpr int64_t kMaxDim = int64_t(1) << 40;

/// A parsed .npy file: element type, dims, and where its payload lies in
/// the bytes it was parsed from.
struct Array {
  kernels::ElementType type = kernels::ElementType::F32;
  std::vector<int64_t> dims;
  size_t offset = 0; ///< of the payload in the file's bytes
  size_t bytes = 0;  ///< payload size: elements times element size
};

/// Parses the header of `bytes` (a whole .npy file) and checks that the
/// payload is there and at most `maxBytes`. On failure returns nullopt and
/// sets `error` to a message that starts with `name` (a path).
std::optional<Array> parse(std::string_view bytes, const std::string &name, uint64_t maxBytes,
                           std::string &error);

/// Reads the file at `path` whole, refusing files larger than `maxBytes`
/// (plus room for a header); false with `error` naming the file.
bool readFile(const std::string &path, uint64_t maxBytes, std::string &bytes, std::string &error);

/// Writes an array of `type` and `dims` with the payload `data` (`bytes`
/// bytes) to `path`; false with `error` on failure (an element type .npy
/// has no code for, such as bf16, or an I/O error).
bool write(const std::string &path, kernels::ElementType type, const std::vector<int64_t> &dims,
           const void *data, size_t bytes, std::string &error);

} // namespace dlrt::npy

#endif // DLRT_NPY_NPY_H
