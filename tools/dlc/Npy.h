//===- Npy.h - Read and write NumPy .npy files ----------------*- C++ -*-===//
//
// Version 1.0/2.0/3.0 .npy files with little-endian (or byte-order-free)
// element types dlc has; C order only. Sizes are checked against the file
// before anything is allocated.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_TOOLS_DLC_NPY_H
#define DLC_TOOLS_DLC_NPY_H

#include "ir/Tensor.h"

#include <optional>
#include <string>

namespace dlc::tool {

/// Reads `path`; on failure returns nullopt and sets `error`.
std::optional<Tensor> readNpy(const std::string &path, std::string &error);

/// Writes `tensor` to `path`; false (with `error`) on failure.
bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error);

} // namespace dlc::tool

#endif
