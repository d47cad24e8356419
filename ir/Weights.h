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

#include <string>

namespace dlc {

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
