//===- Npy.cpp - Read and write NumPy .npy files -------------------------===//

#include "frontends/npy/Npy.h"

#include <cstring>
#include <fstream>

namespace dlc {
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

// numpy 2's NPY_MAXDIMS.
constexpr size_t kMaxNpyRank = 64;

/// The value of `key` in the header's Python dict literal: the text after
/// `'key':` and spaces, up to the end of the header.
std::optional<std::string_view> dictValue(std::string_view header,
                                          std::string_view key) {
  std::string quoted = "'" + std::string(key) + "'";
  size_t at = header.find(quoted);
  if (at == std::string_view::npos)
    return std::nullopt;
  std::string_view rest = header.substr(at + quoted.size());
  size_t colon = rest.find_first_not_of(" ");
  if (colon == std::string_view::npos || rest[colon] != ':')
    return std::nullopt;
  rest = rest.substr(colon + 1);
  size_t value = rest.find_first_not_of(" ");
  return value == std::string_view::npos ? std::nullopt
                                         : std::optional(rest.substr(value));
}

/// The text between `open` and the first `close` at the start of `value`.
std::optional<std::string_view> delimited(std::string_view value, char open,
                                          char close) {
  if (value.empty() || value[0] != open)
    return std::nullopt;
  size_t end = value.find(close, 1);
  if (end == std::string_view::npos)
    return std::nullopt;
  return value.substr(1, end - 1);
}

} // namespace

std::optional<Tensor> parseNpy(std::string_view bytes, const std::string &name,
                               std::string &error) {
  auto fail = [&](const std::string &why) {
    error = name + ": " + why;
    return std::nullopt;
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY")
    return fail("not a .npy file (bad magic)");
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
  uint32_t major = byte(6);
  if (major < 1 || major > 3)
    return fail("unsupported .npy version " + std::to_string(major));
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lengthBytes)
    return fail("truncated .npy header");
  uint64_t headerLength = byte(8) | (byte(9) << 8);
  if (major != 1)
    headerLength |= (uint64_t(byte(10)) << 16) | (uint64_t(byte(11)) << 24);
  uint64_t dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.size())
    return fail("truncated .npy header");
  std::string_view header = bytes.substr(8 + lengthBytes, headerLength);

  std::optional<std::string_view> descrValue = dictValue(header, "descr");
  std::optional<std::string_view> descr =
      descrValue ? delimited(*descrValue, '\'', '\'') : std::nullopt;
  if (!descr)
    return fail(".npy header has no 'descr'");
  std::optional<DType> dtype;
  for (const Descr &known : kDescrs)
    if (*descr == known.code ||
        (descr->size() == 3 && (*descr)[0] == '=' && descr->substr(1) == known.code + 1))
      dtype = known.dtype;
  if (!dtype)
    return fail("unsupported .npy element type '" + std::string(*descr) + "'");
  std::optional<std::string_view> order = dictValue(header, "fortran_order");
  if (order && order->substr(0, 4) == "True")
    return fail("Fortran-ordered .npy files are not supported");
  std::optional<std::string_view> shapeValue = dictValue(header, "shape");
  std::optional<std::string_view> shape =
      shapeValue ? delimited(*shapeValue, '(', ')') : std::nullopt;
  if (!shape)
    return fail(".npy header has no 'shape'");
  std::vector<Dim> dims;
  for (size_t i = 0; i < shape->size();) {
    char c = (*shape)[i];
    if (c == ' ' || c == ',') {
      ++i;
      continue;
    }
    if (c < '0' || c > '9')
      return fail(".npy shape '(" + std::string(*shape) + ")' is not a tuple of sizes");
    size_t end = shape->find_first_not_of("0123456789", i);
    std::string_view digits = shape->substr(i, end == std::string_view::npos ? end : end - i);
    if (digits.size() > 13 || std::stoll(std::string(digits)) > kMaxDimSize)
      return fail("dimension " + std::string(digits) + " is too large");
    if (dims.size() == kMaxNpyRank)
      return fail(".npy shape has more than " + std::to_string(kMaxNpyRank) + " dimensions");
    dims.push_back(Dim(std::stoll(std::string(digits))));
    i += digits.size();
  }
  TensorType type(*dtype, dims);
  std::optional<int64_t> payload = Tensor::payloadBytes(type);
  if (!payload || static_cast<uint64_t>(*payload) > bytes.size() - dataStart)
    return fail(payload ? "file is shorter than its " + type.str() + " payload"
                        : type.str() + " exceeds the tensor limit");
  const auto *data = reinterpret_cast<const uint8_t *>(bytes.data()) + dataStart;
  return Tensor(type, std::vector<uint8_t>(data, data + *payload));
}

std::optional<Tensor> readNpy(const std::string &path, std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot open file: " + std::strerror(errno);
    return std::nullopt;
  }
  std::streamoff size = in.tellg();
  // The largest tensor plus a generous header.
  if (size < 0 || size > kMaxTensorBytes + (int64_t(1) << 20)) {
    error = path + ": file is larger than the tensor limit";
    return std::nullopt;
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) {
    error = path + ": cannot read the file";
    return std::nullopt;
  }
  return parseNpy(bytes, path, error);
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

} // namespace dlc
