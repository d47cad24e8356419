//===- Tensor.cpp - Dense constant tensors -------------------------------===//

#include "ir/Tensor.h"

#include "ir/Check.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace dlc {

std::optional<int64_t> Tensor::payloadBytes(const TensorType &type) {
  int64_t elementSize = dtypeSize(type.dtype());
  std::optional<int64_t> count =
      type.numElements(kMaxTensorBytes / elementSize);
  if (!count)
    return std::nullopt;
  return *count * elementSize;
}

Tensor::Tensor(const TensorType &type) : type_(type) {
  std::optional<int64_t> bytes = payloadBytes(type);
  DLC_CHECK(bytes.has_value(), "tensor type not static or too large");
  numElements_ = *type.numElements();
  bytes_.assign(static_cast<size_t>(*bytes), 0);
}

Tensor::Tensor(const TensorType &type, std::vector<uint8_t> bytes)
    : type_(type), bytes_(std::move(bytes)) {
  std::optional<int64_t> expected = payloadBytes(type);
  DLC_CHECK(expected.has_value() &&
                *expected == static_cast<int64_t>(bytes_.size()),
            "tensor payload size does not match its type");
  numElements_ = *type.numElements();
}

namespace {
template <typename T> T load(const std::vector<uint8_t> &bytes, int64_t i) {
  T value;
  std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));
  return value;
}
template <typename T>
void store(std::vector<uint8_t> &bytes, int64_t i, T value) {
  std::memcpy(bytes.data() + i * sizeof(T), &value, sizeof(T));
}
} // namespace

double Tensor::getDouble(int64_t i) const {
  DLC_CHECK(i >= 0 && i < numElements_, "element index out of range");
  switch (dtype()) {
  case DType::F32: return load<float>(bytes_, i);
  case DType::F64: return load<double>(bytes_, i);
  case DType::F16: return halfToFloat(load<uint16_t>(bytes_, i));
  case DType::BF16: return bfloat16ToFloat(load<uint16_t>(bytes_, i));
  case DType::I8: return load<int8_t>(bytes_, i);
  case DType::I16: return load<int16_t>(bytes_, i);
  case DType::I32: return load<int32_t>(bytes_, i);
  case DType::I64: return static_cast<double>(load<int64_t>(bytes_, i));
  case DType::U8: return load<uint8_t>(bytes_, i);
  case DType::U16: return load<uint16_t>(bytes_, i);
  case DType::U32: return load<uint32_t>(bytes_, i);
  case DType::U64: return static_cast<double>(load<uint64_t>(bytes_, i));
  case DType::Bool: return load<uint8_t>(bytes_, i) ? 1.0 : 0.0;
  }
  DLC_UNREACHABLE("bad dtype");
}

int64_t Tensor::getInt(int64_t i) const {
  DLC_CHECK(i >= 0 && i < numElements_, "element index out of range");
  switch (dtype()) {
  case DType::I8: return load<int8_t>(bytes_, i);
  case DType::I16: return load<int16_t>(bytes_, i);
  case DType::I32: return load<int32_t>(bytes_, i);
  case DType::I64: return load<int64_t>(bytes_, i);
  case DType::U8: return load<uint8_t>(bytes_, i);
  case DType::U16: return load<uint16_t>(bytes_, i);
  case DType::U32: return load<uint32_t>(bytes_, i);
  case DType::U64: return static_cast<int64_t>(load<uint64_t>(bytes_, i));
  case DType::Bool: return load<uint8_t>(bytes_, i) ? 1 : 0;
  default: {
    double value = getDouble(i);
    if (!(value > -9.2e18 && value < 9.2e18)) // nan, inf, out of range
      return 0;
    return static_cast<int64_t>(value);
  }
  }
}

void Tensor::setDouble(int64_t i, double value) {
  DLC_CHECK(i >= 0 && i < numElements_, "element index out of range");
  switch (dtype()) {
  case DType::F32: return store<float>(bytes_, i, static_cast<float>(value));
  case DType::F64: return store<double>(bytes_, i, value);
  case DType::F16:
    return store<uint16_t>(bytes_, i, floatToHalf(static_cast<float>(value)));
  case DType::BF16:
    return store<uint16_t>(bytes_, i,
                           floatToBFloat16(static_cast<float>(value)));
  case DType::Bool: return store<uint8_t>(bytes_, i, value != 0.0);
  default:
    // Out-of-range conversions are undefined in C++: saturate, NaN -> 0.
    if (std::isnan(value))
      return setInt(i, 0);
    if (value >= 9.2233720368547758e18)
      return setInt(i, isUnsigned(dtype()) && value < 1.8446744073709552e19
                           ? static_cast<int64_t>(static_cast<uint64_t>(value))
                           : INT64_MAX);
    if (value <= -9.2233720368547758e18)
      return setInt(i, INT64_MIN);
    return setInt(i, static_cast<int64_t>(value));
  }
}

void Tensor::setInt(int64_t i, int64_t value) {
  DLC_CHECK(i >= 0 && i < numElements_, "element index out of range");
  switch (dtype()) {
  case DType::I8: return store<int8_t>(bytes_, i, static_cast<int8_t>(value));
  case DType::I16:
    return store<int16_t>(bytes_, i, static_cast<int16_t>(value));
  case DType::I32:
    return store<int32_t>(bytes_, i, static_cast<int32_t>(value));
  case DType::I64: return store<int64_t>(bytes_, i, value);
  case DType::U8:
    return store<uint8_t>(bytes_, i, static_cast<uint8_t>(value));
  case DType::U16:
    return store<uint16_t>(bytes_, i, static_cast<uint16_t>(value));
  case DType::U32:
    return store<uint32_t>(bytes_, i, static_cast<uint32_t>(value));
  case DType::U64:
    return store<uint64_t>(bytes_, i, static_cast<uint64_t>(value));
  case DType::Bool: return store<uint8_t>(bytes_, i, value != 0);
  default: return setDouble(i, static_cast<double>(value));
  }
}

std::vector<int64_t> Tensor::toInts() const {
  std::vector<int64_t> values(static_cast<size_t>(numElements_));
  for (int64_t i = 0; i < numElements_; ++i)
    values[i] = getInt(i);
  return values;
}

TensorDifference compareTensors(const Tensor &got, const Tensor &want, double rtol,
                                double atol) {
  TensorDifference d;
  if (!(got.type() == want.type())) {
    d.mismatch = true;
    d.problem = "got " + got.type().str() + ", expected " + want.type().str();
    return d;
  }
  bool exact = !isFloat(got.dtype());
  auto note = [&](int64_t i, const std::string &got, const std::string &want) {
    if (!d.mismatch)
      d.problem = "element " + std::to_string(i) + ": got " + got + ", expected " + want;
    d.mismatch = true;
  };
  for (int64_t i = 0; i < got.numElements(); ++i) {
    if (exact) {
      if (got.getInt(i) != want.getInt(i))
        note(i, std::to_string(got.getInt(i)), std::to_string(want.getInt(i)));
      continue;
    }
    double a = got.getDouble(i), b = want.getDouble(i);
    if (a == b || (std::isnan(a) && std::isnan(b)))
      continue;
    double abs = std::fabs(a - b);
    if (std::isfinite(abs)) {
      d.maxAbs = std::max(d.maxAbs, abs);
      d.maxRel = std::max(d.maxRel, abs / std::max(std::fabs(b), 1e-30));
    }
    if (!(abs <= atol + rtol * std::fabs(b)))
      note(i, std::to_string(a), std::to_string(b));
  }
  return d;
}

} // namespace dlc
