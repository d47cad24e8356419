//===- Npy.h - Read and write NumPy .npy files ----------------*- C++ -*-===//
//
// IR tensors as .npy files, over the runtime's codec (runtime/npy/Npy.h: the
// one reader and writer of the format; versions 1.0-3.0, C order, sizes
// checked before anything is allocated).
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
