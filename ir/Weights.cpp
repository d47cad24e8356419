//===- Weights.cpp - Moving weight payloads in and out of the text -------===//

#include "ir/Weights.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace dlc {

LogicalResult externalizeWeights(Module &module, const std::string &dataPath,
                                 const std::string &textDir, int64_t minBytes,
                                 Diagnostics &diag) {
  constexpr int64_t kAlignment = 64;
  std::ofstream out(dataPath, std::ios::binary | std::ios::trunc);
  if (!out)
    return diag.error(Location::fileLine(dataPath, 0, 0),
                      std::string("cannot write weights: ") +
                          std::strerror(errno));
  namespace fs = std::filesystem;
  fs::path base = textDir.empty() ? fs::current_path() : fs::path(textDir);
  std::string reference =
      fs::absolute(dataPath).lexically_relative(fs::absolute(base)).string();
  if (reference.empty())
    reference = dataPath;
  int64_t offset = 0;
  for (Weight &weight : module.weights()) {
    const std::vector<uint8_t> &bytes = weight.value->bytes();
    if (static_cast<int64_t>(bytes.size()) < minBytes) {
      weight.external.reset();
      continue;
    }
    int64_t padding = (kAlignment - offset % kAlignment) % kAlignment;
    out.write(std::string(padding, '\0').data(), padding);
    offset += padding;
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    weight.external = ExternalData{reference, offset};
    offset += static_cast<int64_t>(bytes.size());
  }
  out.close();
  if (!out)
    return diag.error(Location::fileLine(dataPath, 0, 0),
                      "cannot write weights");
  return success();
}

void internalizeWeights(Module &module) {
  for (Weight &weight : module.weights())
    weight.external.reset();
}

} // namespace dlc
