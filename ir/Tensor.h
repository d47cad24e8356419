//===- Tensor.h - Dense constant tensors ----------------------*- C++ -*-===//
//
// A Tensor is an immutable-once-built, statically shaped, dense, row-major
// buffer of one dtype: the payload of tensor attributes and module weights.
// Element values can be read and written as double or int64 regardless of the
// storage dtype, which is what printing, parsing and constant folding need.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_TENSOR_H
#define DLC_IR_TENSOR_H

#include "ir/Type.h"
#include "kernels/Half.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlc {

/// The largest tensor payload dlc will allocate from input (4 GiB). Input
/// that asks for more is rejected with an error before anything is allocated.
inline constexpr int64_t kMaxTensorBytes = int64_t(4) << 30;

/// IEEE binary16 and bfloat16 conversions, from the runtime's kernel
/// library (the one implementation).
using dlrt::bfloat16ToFloat;
using dlrt::floatToBFloat16;
using dlrt::floatToHalf;
using dlrt::halfToFloat;

class Tensor {
public:
  /// A zero-filled tensor. `type` must be static with at most
  /// kMaxTensorBytes of payload (checked: callers validate input first).
  explicit Tensor(const TensorType &type);
  /// Takes `bytes` as the payload; its size must match the type (checked).
  Tensor(const TensorType &type, std::vector<uint8_t> bytes);

  /// Size in bytes of a static type's payload, or nullopt if the type is not
  /// static or the payload would exceed kMaxTensorBytes.
  static std::optional<int64_t> payloadBytes(const TensorType &type);

  const TensorType &type() const { return type_; }
  DType dtype() const { return type_.dtype(); }
  int64_t numElements() const { return numElements_; }
  const std::vector<uint8_t> &bytes() const { return bytes_; }
  std::vector<uint8_t> &bytes() { return bytes_; }

  /// Element `i` converted to double (bool: 0/1; integers exactly up to 2^53).
  double getDouble(int64_t i) const;
  /// Element `i` converted to int64 (floats truncated toward zero; u64
  /// keeps its bit pattern).
  int64_t getInt(int64_t i) const;
  /// Stores `value` into element `i`, converting to the dtype.
  void setDouble(int64_t i, double value);
  void setInt(int64_t i, int64_t value);

  /// All elements as int64 (for shape-like operands).
  std::vector<int64_t> toInts() const;

  bool operator==(const Tensor &other) const {
    return type_ == other.type_ && bytes_ == other.bytes_;
  }

private:
  TensorType type_;
  int64_t numElements_ = 0;
  std::vector<uint8_t> bytes_;
};

/// How `got` differs from `want`: floats must lie within
/// atol + rtol * |want| (NaN matches NaN, equal infinities match), other
/// dtypes match exactly, and the types must be equal.
struct TensorDifference {
  bool mismatch = false;
  double maxAbs = 0, maxRel = 0; ///< over the finite float elements
  std::string problem;           ///< the type, or the first element, that differs
};
TensorDifference compareTensors(const Tensor &got, const Tensor &want, double rtol,
                                double atol);

} // namespace dlc

#endif // DLC_IR_TENSOR_H
