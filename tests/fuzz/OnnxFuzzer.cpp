//===- OnnxFuzzer.cpp - The ONNX importer under libFuzzer -----------------===//
//
// Protobuf bytes in, as `dlc compile model.onnx` reads them: import, then
// verify and print what was imported. A model that does not parse, uses an
// op dlc lacks or declares impossible shapes is a diagnostic, never a crash
// or an allocation the file's dims alone ask for.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlc::Diagnostics diag;
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<dlc::Module> module = dlc::importOnnxModel(bytes, "fuzz.onnx", diag);
  if (module && succeeded(dlc::verifyModule(*module, diag)))
    (void)dlc::printModule(*module);
  return 0;
}
