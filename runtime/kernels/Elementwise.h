//===- Elementwise.h - Reference kernels of the elementwise ops -*- C++ -*-===//
//
// The one implementation of each elementwise op's semantics (ONNX's), used
// by the interpreter and by compiled programs. Floats compute in double,
// integers in int64 with two's complement wrapping; binary ops broadcast
// numpy-style into `out`, whose dims the caller has inferred and whose
// memory it has allocated. Operands of a binary op share one element type
// (comparisons and logic write bool).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_ELEMENTWISE_H
#define DLRT_KERNELS_ELEMENTWISE_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

enum class UnaryOp : uint8_t {
  // Float only.
  Exp, Log, Sqrt, Rsqrt, Reciprocal, Sigmoid, Tanh, Erf, Sin, Cos, Tan, Asin,
  Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Floor, Ceil, Round, Softplus,
  LeakyRelu, Elu,
  // Any numeric type.
  Neg, Abs, Relu, Sign,
  // Bool.
  Not,
};

struct UnaryParams {
  UnaryOp op = UnaryOp::Neg;
  double alpha = 0; ///< leaky_relu, elu
  template <typename V> void fields(V &v) { v(op)(alpha); }
};

/// out[i] = op(x[i]); `out` has x's type and dims.
Status unary(const UnaryParams &params, const BufferView &x, const BufferView &out);

enum class BinaryOp : uint8_t {
  // Arithmetic: out has the operands' type.
  Add, Sub, Mul, Div, Pow, Mod, FMod, Max, Min, ShiftLeft, ShiftRight,
  // Comparisons and logic: out is bool.
  Equal, Less, LessEqual, Greater, GreaterEqual, And, Or, Xor,
};

/// out = a op b, broadcast. Integer division or modulo by zero is an error.
Status binary(BinaryOp op, const BufferView &a, const BufferView &b,
              const BufferView &out);

/// out = cond ? a : b, broadcast; a, b and out share a type, cond is bool.
Status where(const BufferView &cond, const BufferView &a, const BufferView &b,
             const BufferView &out);

/// out = min(max(x, low), high); `low` and `high` are optional
/// one-element buffers of x's type (null data when absent).
Status clip(const BufferView &x, const BufferView &low, const BufferView &high,
            const BufferView &out);

/// out[i] = x[i] converted to out's element type: float to integer
/// truncates toward zero and saturates (NaN gives 0), integer to integer
/// wraps, anything to bool tests != 0, to binary16/bfloat16 rounds to
/// nearest even.
Status cast(const BufferView &x, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_ELEMENTWISE_H
