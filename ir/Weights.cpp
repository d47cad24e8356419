//===- Weights.cpp - Moving weight payloads in and out of the text -------===//

#include "ir/Weights.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dlc {

std::optional<std::vector<uint8_t>>
readExternalData(const std::string &modelFile, const std::string &location,
                 int64_t offset, int64_t bytes, std::string &error) {
  namespace fs = std::filesystem;
  fs::path relative(location);
  if (location.empty() || relative.is_absolute() || relative.has_root_name()) {
    error = "external data location '" + location +
            "' must be a path relative to the model's folder";
    return std::nullopt;
  }
  bool fromStdin = modelFile.empty() || modelFile == "-" || modelFile == "<string>";
  fs::path folder = fromStdin ? fs::path(".") : fs::path(modelFile).parent_path();
  if (folder.empty())
    folder = ".";
  fs::path path = folder / relative;
  std::error_code ec;
  // Inside the folder: `inside` is a prefix of `path`, component by component.
  auto within = [](const fs::path &inside, const fs::path &path) {
    auto mismatch = std::mismatch(inside.begin(), inside.end(), path.begin(), path.end());
    return mismatch.first == inside.end();
  };
  // First as written (`..` resolved lexically), so an escape is refused
  // without touching the file; then with symbolic links resolved.
  fs::path absoluteFolder = fs::absolute(folder, ec).lexically_normal();
  if (absoluteFolder.has_parent_path() && absoluteFolder.filename().empty())
    absoluteFolder = absoluteFolder.parent_path(); // "dir/" -> "dir"
  fs::path lexical = (absoluteFolder / relative).lexically_normal();
  if (!ec && !within(absoluteFolder, lexical)) {
    error = "external data '" + location + "' escapes the model's folder '" +
            absoluteFolder.string() + "'";
    return std::nullopt;
  }
  fs::path root = fs::canonical(folder, ec);
  fs::path resolved = ec ? fs::path() : fs::canonical(path, ec);
  if (ec) {
    error = "cannot read external data '" + path.string() + "': " + ec.message();
    return std::nullopt;
  }
  if (!within(root, resolved)) {
    error = "external data '" + location + "' resolves to '" +
            resolved.string() + "', outside the model's folder '" +
            root.string() + "'";
    return std::nullopt;
  }
  auto fileSize = fs::file_size(resolved, ec);
  if (ec || !fs::is_regular_file(resolved)) {
    error = "cannot read external data '" + path.string() + "'" +
            (ec ? ": " + ec.message() : ": not a regular file");
    return std::nullopt;
  }
  if (offset < 0 || offset > static_cast<int64_t>(fileSize) ||
      bytes > static_cast<int64_t>(fileSize) - offset) {
    error = "external data '" + path.string() + "' has " +
            std::to_string(fileSize) + " bytes; " + std::to_string(bytes) +
            " at offset " + std::to_string(offset) + " need " +
            std::to_string(offset + bytes);
    return std::nullopt;
  }
  std::vector<uint8_t> data(static_cast<size_t>(bytes));
  std::ifstream in(resolved, std::ios::binary);
  in.seekg(offset);
  in.read(reinterpret_cast<char *>(data.data()), bytes);
  if (!in) {
    error = "cannot read external data '" + path.string() + "'";
    return std::nullopt;
  }
  return data;
}

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
