//===- Npy.cpp - Read and write NumPy .npy files -------------------------===//

#include "tools/dlc/Npy.h"

#include <cstring>
#include <fstream>
#include <regex>

namespace dlc::tool {
namespace {

struct Descr {
  const char *code;
  DType dtype;
};
// The descr strings numpy writes, '<' little-endian and '|' for 1 byte.
constexpr Descr kDescrs[] = {
    {"<f4", DType::F32}, {"<f2", DType::F16}, {"<f8", DType::F64},
    {"|i1", DType::I8},  {"<i2", DType::I16}, {"<i4", DType::I32},
    {"<i8", DType::I64}, {"|u1", DType::U8},  {"<u2", DType::U16},
    {"<u4", DType::U32}, {"<u8", DType::U64}, {"|b1", DType::Bool},
};

} // namespace

std::optional<Tensor> readNpy(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open file: " + std::strerror(errno);
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  int64_t fileSize = in.tellg();
  in.seekg(0);
  char magic[8] = {};
  in.read(magic, 8);
  if (!in || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file (bad magic)";
    return std::nullopt;
  }
  int major = static_cast<unsigned char>(magic[6]);
  uint32_t headerLength = 0;
  unsigned char lengthBytes[4] = {};
  in.read(reinterpret_cast<char *>(lengthBytes), major == 1 ? 2 : 4);
  headerLength = lengthBytes[0] | (lengthBytes[1] << 8) |
                 (major == 1 ? 0 : (lengthBytes[2] << 16) | (lengthBytes[3] << 24));
  int64_t dataStart = (major == 1 ? 10 : 12) + int64_t(headerLength);
  if (!in || (major < 1 || major > 3) || dataStart > fileSize) {
    error = path + ": truncated or unsupported .npy header";
    return std::nullopt;
  }
  std::string header(headerLength, '\0');
  in.read(header.data(), headerLength);

  std::smatch match;
  if (!std::regex_search(header, match,
                         std::regex("'descr':\\s*'([^']*)'"))) {
    error = path + ": .npy header has no 'descr'";
    return std::nullopt;
  }
  std::string descr = match[1];
  std::optional<DType> dtype;
  for (const Descr &known : kDescrs)
    if (descr == known.code || (descr.size() == 3 && descr[0] == '=' &&
                                descr.substr(1) == std::string(known.code + 1)))
      dtype = known.dtype;
  if (!dtype) {
    error = path + ": unsupported .npy element type '" + descr + "'";
    return std::nullopt;
  }
  if (std::regex_search(header, std::regex("'fortran_order':\\s*True"))) {
    error = path + ": Fortran-ordered .npy files are not supported";
    return std::nullopt;
  }
  if (!std::regex_search(header, match, std::regex("'shape':\\s*\\(([^)]*)\\)"))) {
    error = path + ": .npy header has no 'shape'";
    return std::nullopt;
  }
  std::vector<Dim> dims;
  std::string shapeText = match[1];
  std::regex number("\\d+");
  for (auto it = std::sregex_iterator(shapeText.begin(), shapeText.end(), number);
       it != std::sregex_iterator(); ++it) {
    std::string digits = it->str();
    if (digits.size() > 13 || std::stoll(digits) > kMaxDimSize) {
      error = path + ": dimension " + digits + " is too large";
      return std::nullopt;
    }
    dims.push_back(Dim(std::stoll(digits)));
  }
  TensorType type(*dtype, dims);
  std::optional<int64_t> bytes = Tensor::payloadBytes(type);
  if (!bytes || *bytes > fileSize - dataStart) {
    error = path + ": " + (bytes ? "file is shorter than its " + type.str() +
                                       " payload"
                                 : type.str() + " exceeds the tensor limit");
    return std::nullopt;
  }
  std::vector<uint8_t> data(static_cast<size_t>(*bytes));
  in.read(reinterpret_cast<char *>(data.data()), *bytes);
  if (!in) {
    error = path + ": cannot read the payload";
    return std::nullopt;
  }
  return Tensor(type, std::move(data));
}

bool writeNpy(const std::string &path, const Tensor &tensor,
              std::string &error) {
  const char *code = nullptr;
  for (const Descr &known : kDescrs)
    if (known.dtype == tensor.dtype())
      code = known.code;
  if (!code) {
    error = path + ": " + std::string(dtypeName(tensor.dtype())) +
            " has no .npy element type";
    return false;
  }
  std::string shape;
  for (const Dim &dim : tensor.type().dims())
    shape += std::to_string(dim.size()) + ", ";
  if (tensor.type().rank() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.type().rank() == 1)
    shape.resize(shape.size() - 1);
  std::string header = "{'descr': '" + std::string(code) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  char lengthBytes[2] = {static_cast<char>(length & 0xff),
                         static_cast<char>(length >> 8)};
  out.write(lengthBytes, 2);
  out << header;
  out.write(reinterpret_cast<const char *>(tensor.bytes().data()),
            tensor.bytes().size());
  out.close();
  if (!out) {
    error = path + ": cannot write file";
    return false;
  }
  return true;
}

} // namespace dlc::tool
