//===- OpRegistry.h - Op definitions and type inference -------*- C++ -*-===//
//
// Every op dlc knows is an OpDef in one registry: its name, operand count,
// attributes (name, kind, required) and a type/shape inference function.
// Graph-kind attributes are the op's nested graphs (regions). Ops are
// defined by family, one file per family under ir/ops/.
//
// inferResultTypes() is the single entry point used by the builder (to type
// new nodes) and the verifier (to check declared types): it checks operand
// count and attributes against the OpDef, then runs the op's inference.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_OPREGISTRY_H
#define DLC_IR_OPREGISTRY_H

#include "ir/Graph.h"

#include <optional>
#include <type_traits>
#include <variant>
#include <string_view>
#include <vector>

namespace dlrt::ops {
struct LoweredOp;
}

namespace dlc {

/// The identity of every op (ir/ops/Ops.def). Ops compare by id.
enum class OpId : uint16_t {
#define DLC_OP(id, name, traits) id,
#include "ir/ops/Ops.def"
#undef DLC_OP
};

/// Properties of ops that passes and code generators query (ir/ops/Ops.def).
/// Every op is pure (no side effects): the same operands give the same
/// results, so any node may be deduplicated, moved or removed when unused.
enum class OpTrait : uint32_t {
  None = 0,
  /// Result element i depends only on element i of each (broadcast)
  /// operand.
  Elementwise = 1u << 0,
  /// Binary op whose operands may be swapped.
  Commutative = 1u << 1,
  /// The result holds operand 0's elements in the same order; only the shape
  /// changes (reshape, squeeze, ...): a view, never a copy.
  ShapeOnly = 1u << 2,
  /// Moves or copies elements without arithmetic (transpose, slice,
  /// concat, gather, ...): fusion folds it into indexing.
  Layout = 1u << 3,
  /// A result size depends on operand values, never only on shapes
  /// (nonzero, unique, ...): the host program binds it at run time.
  DataDependentShape = 1u << 4,
  /// Produces a compile-time value (constant, weight).
  ConstantLike = 1u << 5,
};
constexpr OpTrait operator|(OpTrait a, OpTrait b) {
  return static_cast<OpTrait>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}

/// maxOperands value for ops taking any number of operands.
inline constexpr int kVariadic = -1;

/// The default of a scalar attribute (ONNX's default), or none.
using AttrDefault = std::variant<std::monostate, int64_t, double, std::string_view>;

/// One attribute an op accepts. An optional scalar attribute has a default:
/// the canonical node omits an attribute equal to its default (Node::setAttr
/// drops it), so `{}` and `{group = 1}` build the same node, and accessors
/// (Node::intAttr, ...) return the default when the attribute is absent.
struct AttrSpec {
  std::string_view name;
  AttrKind kind;
  bool required = false;
  AttrDefault defaultValue = {};
};

class InferContext;
class EvalContext;
using InferFn = LogicalResult (*)(InferContext &ctx);
using EvalFn = LogicalResult (*)(EvalContext &ctx);
/// Decodes a node's attributes (defaults applied) into the params of a
/// runtime entry point (runtime/ops/Ops.h). On failure, emitted an error.
using LowerFn = LogicalResult (*)(const InferContext &ctx, dlrt::ops::LoweredOp &op);

/// How an op runs. Ops that a compiled program runs lower to an entry point
/// of the runtime (the interpreter runs the same entry point); the rest
/// (control flow, constants, weights, identity) are evaluated by the
/// interpreter itself and handled by the program compiler.
struct OpRun {
  OpRun() = default;
  template <typename Fn> OpRun(Fn fn) {
    if constexpr (std::is_convertible_v<Fn, EvalFn>)
      eval = fn;
    else
      lower = fn;
  }
  EvalFn eval = nullptr;
  LowerFn lower = nullptr;
};

struct OpDef {
  std::string_view name;
  std::string_view family;
  int minOperands = 0;
  int maxOperands = 0; ///< kVariadic for no upper bound.
  std::vector<AttrSpec> attrs;
  InferFn infer = nullptr;
  /// The reference implementation, run by the interpreter.
  OpRun run;
  /// Set by the registry from ir/ops/Ops.def.
  OpId id{};
  OpTrait traits = OpTrait::None;

  bool has(OpTrait trait) const {
    return (static_cast<uint32_t>(traits) & static_cast<uint32_t>(trait)) != 0;
  }
  /// Whether the op takes captures (only ops with nested graphs do).
  bool hasRegions() const;
  const AttrSpec *attrSpec(std::string_view name) const;
};

/// The registry of all ops. Built once, immutable afterwards; safe to read
/// from any thread.
class OpRegistry {
public:
  static const OpRegistry &get();
  /// The op named `name`, or null.
  const OpDef *lookup(std::string_view name) const;
  /// The op with identity `id`.
  const OpDef &get(OpId id) const { return *byId_[static_cast<size_t>(id)]; }
  /// All ops, ordered by name.
  std::vector<const OpDef *> ops() const;

  /// Adds an op (used by the family files while the registry is built).
  void add(OpDef def);

private:
  std::vector<std::unique_ptr<OpDef>> ops_;
  std::vector<const OpDef *> byId_;
  bool sorted_ = false; ///< Set once every family has registered.
};

/// Shorthand for OpRegistry::get().lookup(name).
const OpDef *lookupOp(std::string_view name);
/// The name of op `id`.
std::string_view opName(OpId id);

/// Checks `node`'s operand count and attributes against its OpDef, then
/// infers its result types. On failure, errors were emitted to `diag`.
std::optional<std::vector<TensorType>> inferResultTypes(const Node &node,
                                                        Diagnostics &diag);

/// The value of `value` if it is a compile-time constant (the result of a
/// `constant` node or of a `weight` node naming a module weight), else null.
const Tensor *constantValue(const Value *value);

/// Numpy-style broadcast of two shapes; nullopt if they cannot broadcast.
/// Symbolic and unknown dims broadcast conservatively (see OpRegistry.cpp).
std::optional<std::vector<Dim>> broadcastDims(const std::vector<Dim> &a,
                                              const std::vector<Dim> &b);

/// What an op's inference function sees: the node, typed operands,
/// attribute accessors that apply defaults, and constant operand values.
///
/// The same inference runs at compile time (operand types from the IR,
/// constants from `constant`/`weight` nodes) and in the interpreter, which
/// passes the concrete operand tensors: then every operand is constant and
/// every shape that depends only on operand values comes out exact.
class InferContext {
public:
  /// `values`, if given, are the concrete operands (interpreter).
  InferContext(const Node &node, Diagnostics &diag,
               const std::vector<const Tensor *> *values = nullptr)
      : node_(node), diag_(diag), values_(values) {}

  const Node &node() const { return node_; }
  size_t numOperands() const { return node_.numOperands(); }
  const TensorType &operandType(size_t i) const {
    return values_ ? (*values_)[i]->type() : node_.operand(i)->type();
  }
  /// True if every operand has a known rank.
  bool operandsRanked() const;
  /// The rule for unknown ranks, in one place: if some operand's rank is
  /// unknown, so is every result's. Then adds unranked results of `dtypes`
  /// (one per result) and returns true; else adds nothing, returns false.
  bool unrankedResults(std::initializer_list<DType> dtypes);

  /// Scalar attributes, with the op's default when absent (see AttrSpec).
  int64_t intAttr(std::string_view name) const { return node_.intAttr(name); }
  double floatAttr(std::string_view name) const { return node_.floatAttr(name); }
  std::string stringAttr(std::string_view name) const {
    return node_.stringAttr(name);
  }
  /// The int-list attribute `name`, or null if absent.
  const std::vector<int64_t> *intsAttr(std::string_view name) const;
  /// The nested graph `name` (required attributes are checked beforehand).
  Graph *region(std::string_view name) const;

  /// The value of operand `i` if it is a compile-time constant (a `constant`
  /// or `weight` node), else null.
  const Tensor *constantOperand(size_t i) const;
  /// The elements of constant operand `i` as int64, if it is constant.
  std::optional<std::vector<int64_t>> constantInts(size_t i) const;
  /// Axes given as the `axes` attribute or as constant operand `operand`
  /// (ONNX moved them from attributes to inputs). Nullopt if neither; sets
  /// `dynamic` if the operand exists but is known only at run time.
  std::optional<std::vector<int64_t>> axesAttrOrOperand(size_t operand,
                                                        bool &dynamic) const;

  /// Emits "'op' op MESSAGE" at the node's location; returns failure().
  LogicalResult error(const std::string &message) const;
  /// Normalizes a possibly negative axis into [0, rank); error if outside.
  LogicalResult normalizeAxis(int64_t axis, int64_t rank, int64_t &out) const;
  /// Errors unless operand `i` has one of the allowed dtypes.
  LogicalResult expectDType(size_t i, std::initializer_list<DType> allowed) const;
  /// Errors unless operands `i` and `j` have the same dtype.
  LogicalResult expectSameDType(size_t i, size_t j) const;
  /// Errors unless operand 0 has one of `allowed` and all operands share it.
  LogicalResult expectUniformDType(std::initializer_list<DType> allowed) const;
  /// Normalizes axes for `rank`, sorted; errors on out-of-range or repeated
  /// axes (`attr` names the attribute in messages).
  LogicalResult normalizeAxes(const std::vector<int64_t> &axes, int64_t rank,
                              std::string_view attr,
                              std::vector<int64_t> &out) const;

  void addResult(TensorType type) { results_.push_back(std::move(type)); }
  std::vector<TensorType> &results() { return results_; }

protected:
  const Node &node_;
  Diagnostics &diag_;
  const std::vector<const Tensor *> *values_;
  std::vector<TensorType> results_;
};

/// Dtype sets used by op definitions.
inline constexpr std::initializer_list<DType> kFloatTypes = {
    DType::F32, DType::F16, DType::BF16, DType::F64};
inline constexpr std::initializer_list<DType> kNumericTypes = {
    DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8,
    DType::I16, DType::I32, DType::I64,  DType::U8,  DType::U16,
    DType::U32, DType::U64};
inline constexpr std::initializer_list<DType> kIndexTypes = {DType::I32,
                                                             DType::I64};

} // namespace dlc

#endif // DLC_IR_OPREGISTRY_H
