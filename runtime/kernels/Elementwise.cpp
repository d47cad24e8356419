//===- Elementwise.cpp - Reference kernels of the elementwise ops ---------===//

#include "kernels/Elementwise.h"

#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>

namespace dlrt::kernels {

namespace {

/// By squaring: O(log exponent), wrapping.
int64_t intPow(int64_t base, int64_t exponent) {
  if (exponent < 0)
    return base == 1 ? 1 : base == -1 ? (exponent % 2 ? -1 : 1) : 0;
  uint64_t result = 1, factor = static_cast<uint64_t>(base);
  for (uint64_t e = static_cast<uint64_t>(exponent); e; e >>= 1) {
    if (e & 1)
      result *= factor;
    factor *= factor;
  }
  return static_cast<int64_t>(result);
}

/// The result takes the divisor's sign (Python's %, ONNX Mod with fmod=0).
double pythonMod(double a, double b) {
  double r = std::fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

double unaryFloat(const UnaryParams &p, double x) {
  switch (p.op) {
  case UnaryOp::Exp: return std::exp(x);
  case UnaryOp::Log: return std::log(x);
  case UnaryOp::Sqrt: return std::sqrt(x);
  case UnaryOp::Rsqrt: return 1 / std::sqrt(x);
  case UnaryOp::Reciprocal: return 1 / x;
  case UnaryOp::Sigmoid: return 1 / (1 + std::exp(-x));
  case UnaryOp::Tanh: return std::tanh(x);
  case UnaryOp::Erf: return std::erf(x);
  case UnaryOp::Sin: return std::sin(x);
  case UnaryOp::Cos: return std::cos(x);
  case UnaryOp::Tan: return std::tan(x);
  case UnaryOp::Asin: return std::asin(x);
  case UnaryOp::Acos: return std::acos(x);
  case UnaryOp::Atan: return std::atan(x);
  case UnaryOp::Sinh: return std::sinh(x);
  case UnaryOp::Cosh: return std::cosh(x);
  case UnaryOp::Asinh: return std::asinh(x);
  case UnaryOp::Acosh: return std::acosh(x);
  case UnaryOp::Atanh: return std::atanh(x);
  case UnaryOp::Floor: return std::floor(x);
  case UnaryOp::Ceil: return std::ceil(x);
  case UnaryOp::Round: return std::nearbyint(x); // half to even, as ONNX
  case UnaryOp::Softplus: return std::log1p(std::exp(x));
  case UnaryOp::LeakyRelu: return x < 0 ? p.alpha * x : x;
  case UnaryOp::Elu: return x < 0 ? p.alpha * (std::exp(x) - 1) : x;
  case UnaryOp::Neg: return -x;
  case UnaryOp::Abs: return std::fabs(x);
  case UnaryOp::Relu: return x < 0 ? 0.0 : x; // NaN stays NaN (numpy.maximum)
  case UnaryOp::Sign: return double((x > 0) - (x < 0));
  case UnaryOp::Not: return x == 0;
  }
  return x;
}

int64_t unaryInt(const UnaryParams &p, int64_t x) {
  switch (p.op) {
  case UnaryOp::Neg: return wrapNeg(x);
  case UnaryOp::Abs: return x < 0 ? wrapNeg(x) : x;
  case UnaryOp::Relu: return x > 0 ? x : 0;
  case UnaryOp::Sign: return int64_t((x > 0) - (x < 0));
  case UnaryOp::Not: return int64_t(!x);
  default: return x; // float-only ops never see integers (inference)
  }
}

bool isComparison(BinaryOp op) { return op >= BinaryOp::Equal; }

double binaryFloat(BinaryOp op, double a, double b) {
  switch (op) {
  case BinaryOp::Add: return a + b;
  case BinaryOp::Sub: return a - b;
  case BinaryOp::Mul: return a * b;
  case BinaryOp::Div: return a / b;
  case BinaryOp::Pow: return std::pow(a, b);
  case BinaryOp::Mod: return pythonMod(a, b);
  case BinaryOp::FMod: return std::fmod(a, b);
  case BinaryOp::Max: return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  case BinaryOp::Min: return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b);
  case BinaryOp::Equal: return a == b;
  case BinaryOp::Less: return a < b;
  case BinaryOp::LessEqual: return a <= b;
  case BinaryOp::Greater: return a > b;
  case BinaryOp::GreaterEqual: return a >= b;
  case BinaryOp::And: return a != 0 && b != 0;
  case BinaryOp::Or: return a != 0 || b != 0;
  case BinaryOp::Xor: return (a != 0) != (b != 0);
  case BinaryOp::ShiftLeft:
  case BinaryOp::ShiftRight: return a; // unsigned integers only
  }
  return a;
}

/// Integer ops; `ok` turns false on division by zero. `isUnsigned64`
/// compares u64 values as unsigned.
int64_t binaryInt(BinaryOp op, int64_t a, int64_t b, bool isUnsigned64, bool &ok) {
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (op) {
  case BinaryOp::Add: return wrapAdd(a, b);
  case BinaryOp::Sub: return wrapSub(a, b);
  case BinaryOp::Mul: return wrapMul(a, b);
  case BinaryOp::Div:
    if (b == 0) {
      ok = false;
      return 0;
    }
    return b == -1 ? wrapNeg(a) : a / b; // INT64_MIN / -1 wraps
  case BinaryOp::Mod:
  case BinaryOp::FMod: {
    if (b == 0) {
      ok = false;
      return 0;
    }
    int64_t r = b == -1 ? 0 : a % b; // INT64_MIN % -1 is UB
    return (op == BinaryOp::Mod && r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  }
  case BinaryOp::Pow: return intPow(a, b);
  case BinaryOp::Max: return std::max(a, b);
  case BinaryOp::Min: return std::min(a, b);
  case BinaryOp::ShiftLeft: return b < 0 || b >= 64 ? 0 : static_cast<int64_t>(ua << b);
  case BinaryOp::ShiftRight: return b < 0 || b >= 64 ? 0 : static_cast<int64_t>(ua >> b);
  case BinaryOp::Equal: return a == b;
  case BinaryOp::Less: return isUnsigned64 ? ua < ub : a < b;
  case BinaryOp::LessEqual: return isUnsigned64 ? ua <= ub : a <= b;
  case BinaryOp::Greater: return isUnsigned64 ? ua > ub : a > b;
  case BinaryOp::GreaterEqual: return isUnsigned64 ? ua >= ub : a >= b;
  case BinaryOp::And: return a && b;
  case BinaryOp::Or: return a || b;
  case BinaryOp::Xor: return (a != 0) != (b != 0);
  }
  return a;
}

} // namespace

// Each kernel checks the types and sizes it indexes by first: a program is
// the compiler's, but no params or register types may make a kernel read
// or write outside its buffers.

Status unary(const UnaryParams &params, const BufferView &x, const BufferView &out) {
  if (x.type != out.type || x.numElements() != out.numElements())
    return Status::error("unary: the result differs from the operand in type or size");
  int64_t n = x.numElements();
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (E::isFloat)
        E::store(out.data, i, unaryFloat(params, E::load(x.data, i)));
      else
        E::store(out.data, i, unaryInt(params, E::load(x.data, i)));
    }
  });
  return Status::ok();
}

Status binary(BinaryOp op, const BufferView &a, const BufferView &b,
              const BufferView &out) {
  if (a.type != b.type || out.type != (isComparison(op) ? ElementType::Bool : a.type) ||
      !broadcastsTo(out, {&a, &b}))
    return Status::error("binary: the operands do not broadcast to the result");
  int64_t n = out.numElements();
  bool ok = true;
  bool isUnsigned64 = a.type == ElementType::U64;
  dispatch(a.type, [&](auto element) {
    using E = decltype(element);
    BroadcastWalk walk(out, {&a, &b});
    for (int64_t i = 0; i < n; ++i, walk.next()) {
      auto x = E::load(a.data, walk.offsets()[0]);
      auto y = E::load(b.data, walk.offsets()[1]);
      if constexpr (E::isFloat) {
        double value = binaryFloat(op, x, y);
        if (isComparison(op))
          static_cast<uint8_t *>(out.data)[i] = value != 0;
        else
          E::store(out.data, i, value);
      } else {
        int64_t value = binaryInt(op, x, y, isUnsigned64, ok);
        if (isComparison(op))
          static_cast<uint8_t *>(out.data)[i] = value != 0;
        else
          E::store(out.data, i, value);
      }
    }
  });
  return ok ? Status::ok() : Status::error("integer division by zero");
}

Status where(const BufferView &cond, const BufferView &a, const BufferView &b,
             const BufferView &out) {
  if (cond.type != ElementType::Bool || a.type != b.type || out.type != a.type ||
      !broadcastsTo(out, {&cond, &a, &b}))
    return Status::error("where: the operands do not broadcast to the result");
  int64_t n = out.numElements();
  dispatch(a.type, [&](auto element) {
    using T = typename decltype(element)::Type;
    const auto *c = static_cast<const uint8_t *>(cond.data);
    const auto *x = static_cast<const T *>(a.data);
    const auto *y = static_cast<const T *>(b.data);
    auto *o = static_cast<T *>(out.data);
    BroadcastWalk walk(out, {&cond, &a, &b});
    for (int64_t i = 0; i < n; ++i, walk.next()) {
      const std::vector<int64_t> &at = walk.offsets();
      o[i] = c[at[0]] ? x[at[1]] : y[at[2]]; // bit for bit
    }
  });
  return Status::ok();
}

Status clip(const BufferView &x, const BufferView &low, const BufferView &high,
            const BufferView &out) {
  auto bound = [&](const BufferView &b) {
    return !b.data || (b.type == x.type && b.numElements() >= 1);
  };
  if (x.type != out.type || x.numElements() != out.numElements() || !bound(low) || !bound(high))
    return Status::error("clip: the result or a bound does not match the operand");
  int64_t n = x.numElements();
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t i = 0; i < n; ++i) {
      auto v = E::load(x.data, i);
      if (low.data)
        v = std::max(v, E::load(low.data, 0));
      if (high.data)
        v = std::min(v, E::load(high.data, 0));
      E::store(out.data, i, v);
    }
  });
  return Status::ok();
}

Status cast(const BufferView &x, const BufferView &out) {
  if (x.numElements() != out.numElements())
    return Status::error("cast: the result differs from the operand in size");
  int64_t n = x.numElements();
  bool fromU64 = x.type == ElementType::U64, toUnsigned = out.type == ElementType::U64;
  dispatch(x.type, [&](auto in) {
    using In = decltype(in);
    dispatch(out.type, [&](auto to) {
      using To = decltype(to);
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (!In::isFloat && !To::isFloat) {
          To::store(out.data, i, In::load(x.data, i)); // exact, wrapping
        } else {
          double v;
          if constexpr (In::isFloat)
            v = In::load(x.data, i);
          else
            v = fromU64 ? static_cast<double>(static_cast<uint64_t>(In::load(x.data, i)))
                        : static_cast<double>(In::load(x.data, i));
          if constexpr (To::isFloat)
            To::store(out.data, i, v);
          else if (toUnsigned && v >= 9.2233720368547758e18 && v < 1.8446744073709552e19)
            To::store(out.data, i, static_cast<int64_t>(static_cast<uint64_t>(v)));
          else
            To::store(out.data, i, saturatingInt64(v));
        }
      }
    });
  });
  return Status::ok();
}

} // namespace dlrt::kernels
