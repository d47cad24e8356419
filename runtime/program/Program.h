//===- Program.h - The compiled program the runtime executes ----*- C++ -*-===//
//
// What `dlc compile` produces from a split module and the runtime runs: a
// set of functions (the main graph, kernel graphs, branch and loop bodies),
// each a flat list of instructions over numbered registers.
//
//   Op     runs one op entry point (runtime/ops) on operand registers and
//          allocates its results: sizes from the results' shape
//          expressions, or, for ops whose sizes depend on data, from the
//          entry point's count (count, allocate, fill).
//   Const  makes a register view a weight (no copy).
//   Alias  makes a register share another's buffer (identity, views).
//   Call   runs a function on operand registers (kernel graphs).
//   If     runs the then or else function on the captures.
//   Loop   runs the body function while the trip count and condition allow
//          it, carrying values and stacking scan outputs.
//   Native runs a generated kernel (a fused kernel compiled by a native
//          code generator, in the artifact's NativeObject section) on its
//          operands, its results sized from their expressions, the values
//          of the symbols it lists passed as int32 scalars.
//
// Statically sized intermediates of kernel functions live at planned
// offsets in one arena per function (passes/PlanMemory: greedy by size over
// live ranges; elementwise results over a dying operand); everything else
// comes from the session's caching allocator.
//
// Every register has an element type and dims; each dim is a shape
// expression (bytecode over the program's symbols). Symbols are bound from
// the inputs, and data-dependent ones (`?nz0`) from the first buffer whose
// dim is exactly that symbol: an op's counted result, an if's or loop's
// result, a function's input. Buffers are reference counted: captures and
// values a branch yields unchanged are shared, never copied, and each
// instruction lists the registers whose last use it is.
//
// The program is written and read with the params encoding (ops/Params.h),
// so reading an artifact is bounds-checked field by field; Executor then
// validates every index before it runs anything.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_PROGRAM_PROGRAM_H
#define DLRT_PROGRAM_PROGRAM_H

#include "kernels/ElementType.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlrt::program {

/// A shape expression: postfix code over constants and symbols.
enum class ExprOp : uint8_t { Const, Symbol, Add, Sub, Mul, FloorDiv, Min, Max };

struct Expr {
  std::vector<uint8_t> ops;      ///< ExprOp per step
  std::vector<int64_t> operands; ///< Const: the value; Symbol: its index
  template <typename V> void fields(V &v) { v(ops)(operands); }
};

/// A dim the compiler could not express (known only once the buffer is):
/// allowed on results of ops that count their sizes and on values that
/// arrive from elsewhere (function inputs, call, if and loop results).
inline constexpr int64_t kAnyDim = -1;

struct RegisterType {
  kernels::ElementType type = kernels::ElementType::F32;
  bool ranked = true;        ///< false: any rank (dims empty)
  std::vector<int64_t> dims; ///< Expression indices into Program::exprs, or kAnyDim.
  template <typename V> void fields(V &v) { v(type)(ranked)(dims); }
};

enum class InstrKind : uint8_t { Op, Const, Alias, Call, If, Loop, Native };
inline constexpr size_t kInstrKinds = 7;
inline const char *instrKindName(InstrKind kind) {
  static const char *const names[kInstrKinds] = {"op", "const", "alias", "call",
                                                 "if", "loop",  "native"};
  return static_cast<size_t>(kind) < kInstrKinds ? names[static_cast<size_t>(kind)] : "?";
}

struct Instr {
  InstrKind kind = InstrKind::Op;
  int64_t index = 0; ///< Op: entry point (Program::entryPoints); Const: weight;
                     ///< Call: function; If: then function; Loop: body;
                     ///< Native: kernel (Program::nativeKernels).
  int64_t index2 = 0; ///< If: else function. Native: 1 + the entry point
                      ///< whose result dims rule sizes the results from the
                      ///< operands (its params in `params`) before the kernel
                      ///< runs, binding the sizes only the run decides; 0:
                      ///< the results are sized by their types.
  std::vector<uint8_t> params;
  std::vector<int64_t> operands; ///< registers
  std::vector<int64_t> results;  ///< registers
  std::vector<int64_t> releases; ///< registers whose last use this is
  std::string name;              ///< the IR node's name, for messages
  /// Op: per result, its offset in the function's arena, or -1 (its own
  /// buffer); empty: no result is in the arena.
  std::vector<int64_t> arenaOffsets;
  /// Native: the symbols whose values the kernel takes, in order.
  std::vector<int64_t> symbols;
  /// Native: an operand whose buffer result 0 may take when this is its
  /// last use (a scatter's data: the kernel reads it only where it writes,
  /// before writing), or -1.
  int64_t inPlace = -1;
  template <typename V> void fields(V &v) {
    v(kind)(index)(index2)(params)(operands)(results)(releases)(name)(arenaOffsets)(symbols)(
        inPlace);
  }
};

struct Function {
  std::string name;
  std::vector<RegisterType> registers;
  std::vector<int64_t> inputs, outputs;
  std::vector<Instr> body;
  /// Bytes of the arena the compiler planned for this function's
  /// statically sized intermediates (kernel functions only: their buffers
  /// die inside the function, at the last use the plan computed).
  int64_t arenaBytes = 0;
  template <typename V> void fields(V &v) {
    v(name)(registers)(inputs)(outputs)(body)(arenaBytes);
  }
};

/// An input or output of the program, as the caller sees it.
struct Port {
  std::string name;
  kernels::ElementType type = kernels::ElementType::F32;
  bool ranked = true;            ///< false: any rank (dims empty)
  std::vector<std::string> dims; ///< printed: "8", "N", "?nz0", "(H-1)/2+1"
  template <typename V> void fields(V &v) { v(name)(type)(ranked)(dims); }
};

struct Symbol {
  std::string name;
  bool dataDependent = false;
  template <typename V> void fields(V &v) { v(name)(dataDependent); }
};

/// The layout of Program; a runtime reads only its own (bump on change).
inline constexpr int64_t kProgramVersion = 5;

struct Program {
  int64_t version = kProgramVersion; ///< first, so it can be read alone
  std::vector<Port> inputs, outputs;
  std::vector<Symbol> symbols;
  std::vector<Expr> exprs;
  std::vector<std::string> entryPoints;   ///< op entry point names
  std::vector<Function> functions;        ///< functions[0] is main
  std::vector<std::string> nativeKernels; ///< in the NativeObject section
  std::vector<std::string> nativeProviders; ///< per native kernel: "halide"
  template <typename V> void fields(V &v) {
    v(version)(inputs)(outputs)(symbols)(exprs)(entryPoints)(functions)(nativeKernels)(
        nativeProviders);
  }
};

/// A constant tensor the program reads (Const instructions index these).
struct Weight {
  std::string name;
  kernels::ElementType type = kernels::ElementType::F32;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
  template <typename V> void fields(V &v) { v(name)(type)(dims)(data); }
};

struct Weights {
  std::vector<Weight> weights;
  template <typename V> void fields(V &v) { v(weights); }
};

/// An instruction the compiler left on the reference kernels, and why.
struct ReferenceNote {
  std::string function, instr; ///< names, as `dlc inspect` prints them
  int64_t ops = 0;             ///< ops it runs (a fused kernel's body counts)
  std::string why;
  template <typename V> void fields(V &v) { v(function)(instr)(ops)(why); }
};

/// What the compiler says about the program (the artifact's Metadata
/// section): for people and tools; nothing that runs reads it, and an
/// artifact whose metadata does not decode runs the same.
struct Metadata {
  std::string producer = "dlc";
  std::vector<ReferenceNote> onReference;
  template <typename V> void fields(V &v) { v(producer)(onReference); }
};

} // namespace dlrt::program

#endif // DLRT_PROGRAM_PROGRAM_H
