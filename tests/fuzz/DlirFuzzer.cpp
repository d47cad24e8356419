//===- DlirFuzzer.cpp - The .dlir parser and verifier under libFuzzer -----===//
//
// Text in, as `dlc opt FILE.dlir` reads it: parse, then verify what parsed
// and print it (the printer walks every value the parser made). Errors are
// diagnostics, never crashes.
//
//===----------------------------------------------------------------------===//

#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dlc::Diagnostics diag;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<dlc::Module> module = dlc::parseModule(text, "fuzz.dlir", diag);
  if (module && succeeded(dlc::verifyModule(*module, diag)))
    (void)dlc::printModule(*module);
  return 0;
}
