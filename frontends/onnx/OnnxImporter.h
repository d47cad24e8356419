//===- OnnxImporter.h - Import ONNX models into the graph IR --*- C++ -*-===//
//
// Reads `.onnx` files (protobuf, external data included) of the default
// domain at opsets 1-17 and builds a verified Module. Each ONNX op maps onto
// IR ops (one file per op family under ops/); an op without a mapping whose
// schema defines a function body is expanded into that body. Control flow
// (If, Loop, Scan) becomes nested graphs, with outer-scope references made
// explicit captures; `dim_param` dims become symbolic dims.
//
// Every error names the file and the node and says what is wrong; errors
// start with "unsupported op" or "unsupported dtype" when the model is valid
// ONNX that dlc does not handle yet.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_ONNX_ONNXIMPORTER_H
#define DLC_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "ir/Graph.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dlc {

/// Largest .onnx file read (2 GiB, protobuf's own limit); larger models keep
/// their weights in external data.
inline constexpr int64_t kMaxOnnxFileBytes = (int64_t(1) << 31) - 1;

/// How much shape information an imported model keeps. Exporters often
/// write none (no value_info, outputs and even inputs of unknown rank); the
/// compiler must compile such models as well as shaped ones, and tests
/// import shaped models as if they were written so.
enum class OnnxShapes {
  Keep,          ///< the inputs' declared types, everything else inferred
  Intermediates, ///< every value but the inputs of unknown rank
  All,           ///< the inputs of unknown rank too
};

struct OnnxImportOptions {
  OnnxShapes shapes = OnnxShapes::Keep;
};

/// Imports a model from the bytes of an .onnx file; `path` names it in
/// messages and locates its external data. Null after emitting errors.
std::unique_ptr<Module> importOnnxModel(std::string_view bytes, const std::string &path,
                                        Diagnostics &diag, const OnnxImportOptions &options = {});

/// Imports the model in `path`; its graph becomes the module's `@main`.
/// Null after emitting errors.
std::unique_ptr<Module> importOnnxFile(const std::string &path, Diagnostics &diag,
                                       const OnnxImportOptions &options = {});

/// Parses "keep", "intermediates" or "all".
std::optional<OnnxShapes> parseOnnxShapes(std::string_view text);

/// Reads one serialized onnx.TensorProto (the `input_0.pb` files of ONNX's
/// test data). Sets `name` to the tensor's name if given.
std::optional<Tensor> readOnnxTensorFile(const std::string &path,
                                         Diagnostics &diag,
                                         std::string *name = nullptr);

} // namespace dlc

#endif // DLC_FRONTENDS_ONNX_ONNXIMPORTER_H
