//===- Ops.h - The runtime's op entry points -------------------*- C++ -*-===//
//
// What a compiled program (and the IR interpreter) calls to run one op: an
// OpKernel, found by name, takes the op's encoded params (Params.h) and
// views of its operands and results. The entry point decodes the params,
// derives what depends on the operands' shapes or values (a convolution's
// padding under auto_pad, a slice's starts read from a tensor) and calls
// the kernel library. One entry point serves many IR ops: `unary` runs
// relu, exp, ... with the op in its params.
//
// Result buffers are allocated by the caller. Each entry point's
// `resultDims` computes the result dims from the concrete operands (their
// dims, and their values for ops whose sizes depend on data: nonzero,
// unique, a reshape to a computed shape, ...): count, then allocate, then
// fill. Compiled programs use it where the compiler could not express a
// size (and for data-decided sizes); the interpreter sizes every result so.
//
// Programs come from files, so nothing an entry point is handed is taken
// on trust: the element types are checked against `OpKernel::types` when a
// program loads, and each entry point (or the kernel it calls) checks the
// dims it indexes by before it touches data (kernels/Check.h): a program
// whose shapes disagree fails with a message, never reads past a buffer.
//
// Thread safety: entry points keep no state; any number may run at once on
// different buffers.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_OPS_H
#define DLRT_OPS_OPS_H

#include "kernels/ElementType.h"
#include "ops/Params.h"

#include <string_view>
#include <vector>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::ops {

using kernels::BufferView;
using kernels::Status;
using Dims = std::vector<int64_t>;

/// One call of an op.
struct OpArgs {
  const uint8_t *params = nullptr;
  size_t paramBytes = 0;
  const BufferView *operands = nullptr; ///< Absent optional operands: null data.
  size_t numOperands = 0;
  const BufferView *results = nullptr;
  size_t numResults = 0;
  ThreadPool *pool = nullptr; ///< Null: run on the calling thread.

  const BufferView &operand(size_t i) const { return operands[i]; }
  /// Operand i, or an empty view (null data) if there is none.
  BufferView optional(size_t i) const {
    return i < numOperands ? operands[i] : BufferView();
  }
  const BufferView &result(size_t i) const { return results[i]; }
  template <typename P> Status decode(P &params, std::string_view op) const {
    return decodeParams(params, this->params, paramBytes, op);
  }
};

/// How many operands and results an entry point takes (maxOperands < 0:
/// any number); programs are checked against it when they load.
struct Arity {
  int minOperands = 0, maxOperands = 0, minResults = 1, maxResults = 1;
  bool admits(size_t operands, size_t results) const {
    return static_cast<int>(operands) >= minOperands &&
           (maxOperands < 0 || static_cast<int>(operands) <= maxOperands) &&
           static_cast<int>(results) >= minResults && static_cast<int>(results) <= maxResults;
  }
};

/// How an entry point's result may share memory with its operands.
enum class OpMemory : uint8_t {
  Fresh,   ///< results get their own buffers
  View,    ///< the result is operand 0's bytes with other dims (reshape, ...)
  InPlace, ///< elementwise: the result may overwrite an operand of its size
           ///< and type that nothing reads afterwards
};

struct OpKernel {
  std::string_view name;
  Arity arity;
  /// The element types it takes, checked when a program loads (checkTypes):
  /// "OPERANDS -> RESULTS", one term per operand and result. T and U: every
  /// term with that letter has one type; L: i64 (the kernel reads or writes
  /// int64_t); *: any (the kernel converts, or its params decide the types
  /// and it checks them when it runs). "T..." stands for every operand
  /// from there on; operands past the terms (absent optional ones) and
  /// results past them are not constrained.
  std::string_view types;
  Status (*run)(const OpArgs &args) = nullptr;
  /// Result dims computed from the operands (their dims and, for ops whose
  /// sizes depend on data, their values): fills one Dims per result.
  /// args.results is empty; `dims` arrives with one empty entry per result
  /// the call has (an op with optional results sizes each of them). Every
  /// entry point has one: a program whose types leave a size unknown (an
  /// exporter wrote no shapes) is sized when it runs, as the interpreter
  /// sizes it.
  Status (*resultDims)(const OpArgs &args, std::vector<Dims> &dims) = nullptr;
  OpMemory memory = OpMemory::Fresh;
};

/// An error unless `operands` and `results` have the element types
/// `kernel.types` admits. The kernels index their operands by one element
/// size where the terms say so: this is what keeps a program of mismatched
/// types (a bad file whose checksum holds, a compiler bug) from reading or
/// writing past a buffer.
Status checkTypes(const OpKernel &kernel, const std::vector<kernels::ElementType> &operands,
                  const std::vector<kernels::ElementType> &results);

/// The entry point named `name`, or null.
const OpKernel *findOpKernel(std::string_view name);
/// Every entry point, by name.
const std::vector<OpKernel> &allOpKernels();

/// An op ready to run: its entry point and encoded params.
struct LoweredOp {
  const OpKernel *kernel = nullptr;
  std::vector<uint8_t> params;
};

/// Lowers to entry point `name` (which must exist) with `params`.
template <typename P> LoweredOp lowered(std::string_view name, const P &params) {
  return {findOpKernel(name), encodeParams(params)};
}
/// For entry points without params.
struct NoParams {
  template <typename V> void fields(V &) {}
};

} // namespace dlrt::ops

#endif // DLRT_OPS_OPS_H
