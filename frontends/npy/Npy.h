//===- Npy.h - Read and write NumPy .npy files ----------------*- C++ -*-===//
//
// Version 1.0/2.0/3.0 .npy files with little-endian (or byte-order-free)
// element types dlc has; C order only. Sizes are checked against the bytes
// before anything is allocated; the header is parsed by hand (bounded
// work, no recursion), since a file is user input.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_NPY_NPY_H
#define DLC_FRONTENDS_NPY_NPY_H

#include "ir/Tensor.h"

#include <optional>
#include <string>
#include <string_view>

namespace dlc {

/// Parses the bytes of a .npy file; `name` (a path) starts every message.
/// On failure returns nullopt and sets `error`.
std::optional<Tensor> parseNpy(std::string_view bytes, const std::string &name,
                               std::string &error);

/// Reads and parses `path`.
std::optional<Tensor> readNpy(const std::string &path, std::string &error);

/// Writes `tensor` to `path`; false (with `error`) on failure.
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

} // namespace dlc

#endif // DLC_FRONTENDS_NPY_NPY_H
