//===- NpyFuzzer.cpp - .npy reading under libFuzzer -----------------------===//
//
// The bytes of a .npy file in, as `dlc run --input x=FILE.npy` and
// `--profile-inputs DIR` read them.
//
//===----------------------------------------------------------------------===//

#include "frontends/npy/Npy.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string error;
  std::string_view bytes(reinterpret_cast<const char *>(data), size);
  std::optional<dlc::Tensor> tensor = dlc::parseNpy(bytes, "fuzz.npy", error);
  // A tensor that parsed describes exactly the bytes it holds.
  if (tensor && static_cast<int64_t>(tensor->bytes().size()) !=
                    dlc::Tensor::payloadBytes(tensor->type()).value_or(-1))
    __builtin_trap();
  return 0;
}
