//===- Weights.h - Moving weight payloads in and out of the text -*- C++ -*-===//
//
// Large weights live in a side file next to the .dlir text and are named by
// `external<type "file" offset>`. These helpers decide, per module, which
// weights are stored out of line.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_WEIGHTS_H
#define DLC_IR_WEIGHTS_H

#include "ir/Graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

/// Reads `bytes` bytes at `offset` of an external data file, named by
/// `location` relative to the folder of `modelFile` (the .onnx or .dlir file
/// that references it; "-" means the current folder). The data must lie
/// inside that folder once `..` and symbolic links are resolved: an absolute
/// path or one that escapes the folder is refused, as ONNX's checker does
/// (directory traversal through external data is a known attack on model
/// loaders). On failure returns nullopt and sets `error` to a message that
/// names the file.
std::optional<std::vector<uint8_t>>
readExternalData(const std::string &modelFile, const std::string &location,
                 int64_t offset, int64_t bytes, std::string &error);

/// Writes every weight of at least `minBytes` to the file `dataPath` (each
/// payload 64-byte aligned) and marks it external. The references record
/// `dataPath` relative to `textDir`, the folder the .dlir text will be
/// written to, so the text can be read back from there.
LogicalResult externalizeWeights(Module &module, const std::string &dataPath,
                                 const std::string &textDir, int64_t minBytes,
                                 Diagnostics &diag);

/// Drops every external reference, so all weights print inline.
void internalizeWeights(Module &module);

} // namespace dlc

#endif // DLC_IR_WEIGHTS_H
