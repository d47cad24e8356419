//===- Npy.cpp - The NumPy .npy format -----------------------------------===//

#include "npy/Npy.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace dlrt::npy {
namespace {

using kernels::ElementType;

struct Descr {
  const char *code;
  ElementType type;
};
// The descr strings numpy writes, '<' little-endian and '|' for 1 byte.
constexpr Descr kDescrs[] = {
    {"<f4", ElementType::F32}, {"<f2", ElementType::F16}, {"<f8", ElementType::F64},
    {"|i1", ElementType::I8},  {"<i2", ElementType::I16}, {"<i4", ElementType::I32},
    {"<i8", ElementType::I64}, {"|u1", ElementType::U8},  {"<u2", ElementType::U16},
    {"<u4", ElementType::U32}, {"<u8", ElementType::U64}, {"|b1", ElementType::Bool},
};

// numpy 2's NPY_MAXDIMS.
constexpr size_t kMaxRank = 64;

/// The value of `key` in the header's Python dict literal: the text after
/// `'key':` and spaces, up to the end of the header.
std::optional<std::string_view> dictValue(std::string_view header, std::string_view key) {
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
  return value == std::string_view::npos ? std::nullopt : std::optional(rest.substr(value));
}

/// The text between `open` and the first `close` at the start of `value`.
std::optional<std::string_view> delimited(std::string_view value, char open, char close) {
  if (value.empty() || value[0] != open)
    return std::nullopt;
  size_t end = value.find(close, 1);
  if (end == std::string_view::npos)
    return std::nullopt;
  return value.substr(1, end - 1);
}

std::string typeText(ElementType type, const std::vector<int64_t> &dims) {
  std::string text = std::string(kernels::elementTypeName(type)) + "[";
  for (size_t i = 0; i < dims.size(); ++i)
    text += (i ? "," : "") + std::to_string(dims[i]);
  return text + "]";
}

} // namespace

std::optional<Array> parse(std::string_view bytes, const std::string &name, uint64_t maxBytes,
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
  std::optional<ElementType> type;
  for (const Descr &known : kDescrs)
    if (*descr == known.code ||
        (descr->size() == 3 && (*descr)[0] == '=' && descr->substr(1) == known.code + 1))
      type = known.type;
  if (!type)
    return fail("unsupported .npy element type '" + std::string(*descr) + "'");
  std::optional<std::string_view> order = dictValue(header, "fortran_order");
  if (order && order->substr(0, 4) == "True")
    return fail("Fortran-ordered .npy files are not supported");
  std::optional<std::string_view> shapeValue = dictValue(header, "shape");
  std::optional<std::string_view> shape =
      shapeValue ? delimited(*shapeValue, '(', ')') : std::nullopt;
  if (!shape)
    return fail(".npy header has no 'shape'");
  Array array;
  array.type = *type;
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
    if (digits.size() > 13 || std::stoll(std::string(digits)) > kMaxDim)
      return fail("dimension " + std::string(digits) + " is too large");
    if (array.dims.size() == kMaxRank)
      return fail(".npy shape has more than " + std::to_string(kMaxRank) + " dimensions");
    array.dims.push_back(std::stoll(std::string(digits)));
    i += digits.size();
  }
  // The product saturates past the limit instead of overflowing.
  uint64_t payload = kernels::elementSize(array.type);
  for (int64_t dim : array.dims) {
    uint64_t size = static_cast<uint64_t>(dim);
    payload = size == 0 ? 0 : payload > maxBytes / size ? maxBytes + 1 : payload * size;
  }
  if (payload > maxBytes)
    return fail(typeText(array.type, array.dims) + " exceeds the tensor limit");
  if (payload > bytes.size() - dataStart)
    return fail("file is shorter than its " + typeText(array.type, array.dims) + " payload");
  array.offset = static_cast<size_t>(dataStart);
  array.bytes = static_cast<size_t>(payload);
  return array;
}

bool readFile(const std::string &path, uint64_t maxBytes, std::string &bytes,
              std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot open file: " + std::strerror(errno);
    return false;
  }
  std::streamoff size = in.tellg();
  // The largest payload plus a generous header.
  if (size < 0 || static_cast<uint64_t>(size) > maxBytes + (uint64_t(1) << 20)) {
    error = path + ": file is larger than the tensor limit";
    return false;
  }
  bytes.assign(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) {
    error = path + ": cannot read the file";
    return false;
  }
  return true;
}

bool write(const std::string &path, ElementType type, const std::vector<int64_t> &dims,
           const void *data, size_t bytes, std::string &error) {
  const char *code = nullptr;
  for (const Descr &known : kDescrs)
    if (known.type == type)
      code = known.code;
  if (!code) {
    error = path + ": " + kernels::elementTypeName(type) + " has no .npy element type";
    return false;
  }
  std::string shape;
  for (int64_t dim : dims)
    shape += std::to_string(dim) + ", ";
  if (dims.size() > 1)
    shape.resize(shape.size() - 2);
  else if (dims.size() == 1)
    shape.resize(shape.size() - 1);
  std::string header =
      "{'descr': '" + std::string(code) + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  char lengthBytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  out.write(lengthBytes, 2);
  out << header;
  out.write(static_cast<const char *>(data), static_cast<std::streamsize>(bytes));
  out.close();
  if (!out) {
    error = path + ": cannot write file";
    return false;
  }
  return true;
}

} // namespace dlrt::npy
