//===- Type.h - Element types, dimensions and tensor types ----*- C++ -*-===//
//
// Every SSA value in dlc is a tensor: an element type plus a shape whose
// dimensions are static sizes, symbolic expressions over named symbols
// (`N`, `(H-1)/2`, `A+B`: equal wherever equal, see SymExpr.h), or unknown
// (`?`, each one independent). A tensor type may also have unknown rank
// (`f32[*]`), which frontends need when an exporter could not say. Text form:
// `f32[N,3,224,224]`, `i64[]` (a scalar), `bool[?]`, `i64[2,?nz0]` (a
// data-dependent size, bound at run time).
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_TYPE_H
#define DLC_IR_TYPE_H

#include "ir/SymExpr.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlc {

/// Element types. The order is part of nothing external; use the names.
/// The unsigned and 16-bit integers exist for imported models (quantized
/// data, ONNX's full type set).
enum class DType : uint8_t {
  F32, F16, BF16, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool
};

/// All dtypes, in printing order.
inline constexpr DType kAllDTypes[] = {
    DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8,
    DType::I16, DType::I32, DType::I64,  DType::U8,  DType::U16,
    DType::U32, DType::U64, DType::Bool};

/// The textual name (`f32`, `bf16`, `bool`, ...).
std::string_view dtypeName(DType type);
/// Parses a textual name; nullopt if it names no dtype.
std::optional<DType> parseDType(std::string_view name);
/// Storage size of one element in bytes (bool is one byte).
int64_t dtypeSize(DType type);
bool isFloat(DType type);
/// Signed or unsigned integer (not bool).
bool isInteger(DType type);
bool isUnsigned(DType type);

/// Largest static dimension accepted anywhere (2^40). Anything larger is an
/// input error, reported before it can size an allocation.
inline constexpr int64_t kMaxDimSize = int64_t(1) << 40;

/// One dimension: static (`4`), symbolic (`N`, `N+1`) or unknown (`?`).
class Dim {
public:
  /// An unknown dimension.
  Dim() = default;
  /// A static dimension; `size` must be in [0, kMaxDimSize].
  Dim(int64_t size);
  /// A named symbol (`N`).
  static Dim symbol(std::string name);
  /// A data-dependent symbol (`?nz0`): bound by the host program at run time.
  static Dim dataSymbol(std::string name);
  static Dim unknown() { return Dim(); }
  /// The dim an expression denotes: static if constant and in range,
  /// unknown if invalid or a constant out of range, else symbolic.
  static Dim fromExpr(const SymExpr &expr);

  bool isStatic() const { return size_ >= 0; }
  bool isSymbolic() const { return expr_ != nullptr; }
  bool isUnknown() const { return size_ < 0 && !expr_; }
  /// A symbolic dim that is one named symbol (`N`, `?nz0`), not a compound
  /// expression.
  bool isSymbol() const { return expr_ && expr_->symbolName(); }
  bool isDataSymbol() const { return expr_ && expr_->isDataSymbol(); }
  /// The size of a static dimension (checked).
  int64_t size() const;
  /// The name of a symbol (checked: isSymbol()).
  const std::string &name() const;
  /// The dim as an expression: a constant, the symbolic expression, or an
  /// invalid expression for an unknown dim.
  SymExpr expr() const;

  /// Equal as written: same size, same canonical expression, or both
  /// unknown. Two unknown dimensions compare equal here although they may
  /// differ at run time.
  bool operator==(const Dim &other) const;
  /// True if it uses a data-dependent symbol: a size known only at run
  /// time, which a later compile-time fact may refine.
  bool dependsOnData() const { return expr_ && expr_->dependsOnData(); }
  /// True if the two may denote the same size: either is unknown or depends
  /// on data, or they are identical.
  bool compatibleWith(const Dim &other) const;

  std::string str() const;

private:
  int64_t size_ = -1;
  std::shared_ptr<const SymExpr> expr_;
};

/// Size arithmetic: exact over static and symbolic dims; unknown if an
/// operand is unknown or the result is not a valid size (negative constant,
/// overflow, too complex).
Dim operator+(const Dim &a, const Dim &b);
Dim operator-(const Dim &a, const Dim &b);
Dim operator*(const Dim &a, const Dim &b);
Dim floorDiv(const Dim &a, const Dim &b);
Dim ceilDiv(const Dim &a, const Dim &b);
Dim minDim(const Dim &a, const Dim &b);
Dim maxDim(const Dim &a, const Dim &b);

/// A tensor type: dtype plus dims, or dtype with unknown rank.
class TensorType {
public:
  /// A scalar f32, for default construction only.
  TensorType() = default;
  TensorType(DType dtype, std::vector<Dim> dims)
      : dtype_(dtype), dims_(std::move(dims)) {}
  static TensorType unranked(DType dtype);

  DType dtype() const { return dtype_; }
  bool hasRank() const { return ranked_; }
  /// Rank of a ranked type (checked).
  int64_t rank() const;
  const std::vector<Dim> &dims() const;
  const Dim &dim(int64_t i) const { return dims().at(i); }

  /// True if ranked and every dimension is static.
  bool isStatic() const;
  /// True if ranked and no dimension is unknown (symbolic ones are known:
  /// equal expressions are equal sizes).
  bool hasKnownDims() const;
  /// The number of elements of a static type, or nullopt if it is not static
  /// or the count exceeds `limit` (overflow-safe).
  std::optional<int64_t> numElements(int64_t limit = INT64_MAX) const;

  TensorType withDType(DType dtype) const;

  bool operator==(const TensorType &other) const = default;
  /// Same dtype, and shapes that may agree at run time (see Dim::compatibleWith;
  /// an unranked side is compatible with any rank).
  bool compatibleWith(const TensorType &other) const;

  /// True if a value of the static type `value` is an instance of this
  /// type: same dtype, and equal sizes wherever this type is static.
  /// (Agreement of equal symbols is the caller's business.)
  bool admits(const TensorType &value) const;

  std::string str() const;

private:
  DType dtype_ = DType::F32;
  bool ranked_ = true;
  std::vector<Dim> dims_;
};

/// The most precise type both `a` and `b` are instances of (dims that
/// differ become unknown; ranks that differ, unknown rank). Dtypes must
/// match.
TensorType joinTypes(const TensorType &a, const TensorType &b);

} // namespace dlc

#endif // DLC_IR_TYPE_H
