//===- Type.cpp - Element types, dimensions and tensor types -------------===//

#include "ir/Type.h"

#include "ir/Check.h"

namespace dlc {

std::string_view dtypeName(DType type) {
  switch (type) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::F64: return "f64";
  case DType::I8: return "i8";
  case DType::I16: return "i16";
  case DType::U8: return "u8";
  case DType::U16: return "u16";
  case DType::U32: return "u32";
  case DType::U64: return "u64";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::Bool: return "bool";
  }
  DLC_UNREACHABLE("bad dtype");
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType type : kAllDTypes)
    if (dtypeName(type) == name)
      return type;
  return std::nullopt;
}

int64_t dtypeSize(DType type) {
  switch (type) {
  case DType::F64:
  case DType::I64:
  case DType::U64: return 8;
  case DType::F32:
  case DType::I32:
  case DType::U32: return 4;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
  case DType::U16: return 2;
  case DType::I8:
  case DType::U8:
  case DType::Bool: return 1;
  }
  DLC_UNREACHABLE("bad dtype");
}

bool isFloat(DType type) {
  return type == DType::F32 || type == DType::F16 || type == DType::BF16 ||
         type == DType::F64;
}

bool isInteger(DType type) {
  return type == DType::I8 || type == DType::I16 || type == DType::I32 ||
         type == DType::I64 || isUnsigned(type);
}

bool isUnsigned(DType type) {
  return type == DType::U8 || type == DType::U16 || type == DType::U32 ||
         type == DType::U64;
}

Dim::Dim(int64_t size) : size_(size) {
  DLC_CHECK(size >= 0 && size <= kMaxDimSize, "static dim out of range");
}

Dim Dim::symbol(std::string name) {
  DLC_CHECK(!name.empty() && name != "?", "bad symbolic dim name");
  return fromExpr(SymExpr::symbol(std::move(name)));
}

Dim Dim::dataSymbol(std::string name) {
  DLC_CHECK(!name.empty(), "bad data-dependent symbol name");
  return fromExpr(SymExpr::symbol(std::move(name), /*dataDependent=*/true));
}

Dim Dim::fromExpr(const SymExpr &expr) {
  if (!expr.valid())
    return Dim();
  if (expr.isConstant()) {
    int64_t value = expr.constant();
    return value >= 0 && value <= kMaxDimSize ? Dim(value) : Dim();
  }
  Dim dim;
  dim.expr_ = std::make_shared<const SymExpr>(expr);
  return dim;
}

int64_t Dim::size() const {
  DLC_CHECK(isStatic(), "size() of a non-static dim");
  return size_;
}

const std::string &Dim::name() const {
  DLC_CHECK(isSymbol(), "name() of a dim that is not a symbol");
  return *expr_->symbolName();
}

SymExpr Dim::expr() const {
  if (isStatic())
    return SymExpr(size_);
  if (expr_)
    return *expr_;
  return SymExpr::invalid();
}

bool Dim::operator==(const Dim &other) const {
  if (size_ != other.size_)
    return false;
  if (!expr_ || !other.expr_)
    return !expr_ && !other.expr_;
  return expr_ == other.expr_ || *expr_ == *other.expr_;
}

bool Dim::compatibleWith(const Dim &other) const {
  return isUnknown() || other.isUnknown() || dependsOnData() ||
         other.dependsOnData() || *this == other;
}

std::string Dim::str() const {
  if (isStatic())
    return std::to_string(size_);
  if (expr_)
    return expr_->str();
  return "?";
}

namespace {
template <typename Fn> Dim combine(const Dim &a, const Dim &b, Fn fn) {
  if (a.isUnknown() || b.isUnknown())
    return Dim();
  return Dim::fromExpr(fn(a.expr(), b.expr()));
}
} // namespace

Dim operator+(const Dim &a, const Dim &b) {
  return combine(a, b, [](const SymExpr &x, const SymExpr &y) { return x + y; });
}
Dim operator-(const Dim &a, const Dim &b) {
  return combine(a, b, [](const SymExpr &x, const SymExpr &y) { return x - y; });
}
Dim operator*(const Dim &a, const Dim &b) {
  return combine(a, b, [](const SymExpr &x, const SymExpr &y) { return x * y; });
}
Dim floorDiv(const Dim &a, const Dim &b) { return combine(a, b, SymExpr::floorDiv); }
Dim ceilDiv(const Dim &a, const Dim &b) { return combine(a, b, SymExpr::ceilDiv); }
Dim minDim(const Dim &a, const Dim &b) { return combine(a, b, SymExpr::min); }
Dim maxDim(const Dim &a, const Dim &b) { return combine(a, b, SymExpr::max); }

TensorType joinTypes(const TensorType &a, const TensorType &b) {
  if (!a.hasRank() || !b.hasRank() || a.rank() != b.rank())
    return TensorType::unranked(a.dtype());
  std::vector<Dim> dims;
  for (int64_t i = 0; i < a.rank(); ++i)
    dims.push_back(a.dim(i) == b.dim(i) ? a.dim(i) : Dim::unknown());
  return TensorType(a.dtype(), std::move(dims));
}

TensorType TensorType::unranked(DType dtype) {
  TensorType type(dtype, {});
  type.ranked_ = false;
  return type;
}

int64_t TensorType::rank() const {
  DLC_CHECK(ranked_, "rank() of an unranked type");
  return static_cast<int64_t>(dims_.size());
}

const std::vector<Dim> &TensorType::dims() const {
  DLC_CHECK(ranked_, "dims() of an unranked type");
  return dims_;
}

bool TensorType::isStatic() const {
  if (!ranked_)
    return false;
  for (const Dim &dim : dims_)
    if (!dim.isStatic())
      return false;
  return true;
}

bool TensorType::hasKnownDims() const {
  if (!ranked_)
    return false;
  for (const Dim &dim : dims_)
    if (dim.isUnknown())
      return false;
  return true;
}

std::optional<int64_t> TensorType::numElements(int64_t limit) const {
  if (!isStatic())
    return std::nullopt;
  int64_t count = 1;
  for (const Dim &dim : dims_) {
    if (dim.size() != 0 && count > limit / dim.size())
      return std::nullopt;
    count *= dim.size();
  }
  if (count > limit)
    return std::nullopt;
  return count;
}

TensorType TensorType::withDType(DType dtype) const {
  TensorType type = *this;
  type.dtype_ = dtype;
  return type;
}

bool TensorType::compatibleWith(const TensorType &other) const {
  if (dtype_ != other.dtype_)
    return false;
  if (!ranked_ || !other.ranked_)
    return true;
  if (dims_.size() != other.dims_.size())
    return false;
  for (size_t i = 0; i < dims_.size(); ++i)
    if (!dims_[i].compatibleWith(other.dims_[i]))
      return false;
  return true;
}

bool TensorType::admits(const TensorType &value) const {
  if (dtype_ != value.dtype_)
    return false;
  if (!ranked_)
    return true;
  if (!value.ranked_ || dims_.size() != value.dims_.size())
    return false;
  for (size_t i = 0; i < dims_.size(); ++i)
    if (dims_[i].isStatic() && dims_[i] != value.dims_[i])
      return false;
  return true;
}

std::string TensorType::str() const {
  std::string text(dtypeName(dtype_));
  if (!ranked_)
    return text + "[*]";
  text += '[';
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i)
      text += ',';
    text += dims_[i].str();
  }
  text += ']';
  return text;
}

} // namespace dlc
