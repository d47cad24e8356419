//===- FoldShapes.cpp - Fold the shape arithmetic exporters emit ----------===//
//
// PyTorch's and TensorFlow's exporters compute reshape targets at run time:
// shape(x) -> gather -> unsqueeze -> concat -> reshape, with casts, slices
// and products on the way. With symbolic shapes the compiler knows what
// those small integer tensors hold.
//
// 1. Walk the module in order, computing for every small integer tensor
//    (i32/i64, rank 0 or 1, at most 16 elements) its elements as size
//    expressions where they are known: shape(x) gives x's dims; constants
//    their values; gather, slice, concat, unsqueeze, squeeze, reshape, cast,
//    add, sub, mul, div, min, max and reduce_prod compute on them.
// 2. A tensor whose elements are all constants becomes a `constant`.
// 3. A reshape whose target is known gets a constant target: static sizes
//    (and the exporter's own -1 and 0) as themselves, an operand dim kept in
//    place as 0 (copy), and one remaining symbolic size as -1 (inferred);
//    kept only if inference then knows every dim and gives the symbolic
//    ones exactly. The chain that computed the target is left to dce.
// 4. expand (and constant_of_shape, imported as expand), range and resize
//    to sizes with known symbolic operands get their symbolic result sizes,
//    in place of unknown or data-dependent ones.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Builder.h"
#include "ir/OpRegistry.h"

#include <unordered_map>

namespace dlc {
namespace {

/// The elements of a small integer tensor; an invalid SymExpr is an
/// element that is not known.
struct ShapeValue {
  std::vector<SymExpr> elements;
  bool scalar = false; ///< rank 0 (one element)
};

constexpr size_t kMaxElements = 16;

bool isSmallInt(const TensorType &type) {
  return (type.dtype() == DType::I64 || type.dtype() == DType::I32) &&
         type.hasRank() && type.rank() <= 1 &&
         (type.rank() == 0 || (type.dim(0).isStatic() && type.dim(0).size() <= int64_t(kMaxElements)));
}

bool allValid(const ShapeValue &value) {
  for (const SymExpr &e : value.elements)
    if (!e.valid())
      return false;
  return true;
}

bool allConstant(const ShapeValue &value) {
  for (const SymExpr &e : value.elements)
    if (!e.isConstant())
      return false;
  return true;
}

class ShapeFolder {
public:
  /// Visits nodes in order (nested graphs first, as Module::walk does).
  void node(Node &node) {
    if (node.is(OpId::Reshape))
      foldReshape(node);
    else if (node.is(OpId::Expand))
      refineExpand(node);
    else if (node.is(OpId::Range))
      refineRange(node);
    else if (node.is(OpId::Resize))
      refineResize(node);
    if (node.numResults() != 1 || !isSmallInt(node.result(0)->type()))
      return;
    std::optional<ShapeValue> value = evaluate(node);
    if (!value)
      return;
    values_[node.result(0)] = *value;
    if (!node.def().has(OpTrait::ConstantLike) && allConstant(*value) &&
        node.result(0)->hasUses())
      replaceByConstant(node, *value);
  }

private:
  /// What `value` holds, if known: computed before, or a small constant
  /// (including ones this pass just created).
  const ShapeValue *lookup(const Value *value) {
    auto it = values_.find(value);
    if (it != values_.end())
      return &it->second;
    const Tensor *constant = constantValue(value);
    if (!constant || !isSmallInt(constant->type()))
      return nullptr;
    ShapeValue known{{}, constant->type().rank() == 0};
    for (int64_t v : constant->toInts())
      known.elements.push_back(SymExpr(v));
    return &values_.emplace(value, std::move(known)).first->second;
  }

  std::optional<ShapeValue> evaluate(const Node &node) {
    const TensorType &type = node.result(0)->type();
    if (const ShapeValue *constant = lookup(node.result(0)))
      return *constant;
    if (node.is(OpId::Shape)) {
      const TensorType &x = node.operand(0)->type();
      if (!x.hasRank())
        return std::nullopt;
      ShapeValue value;
      for (const Dim &dim : x.dims())
        value.elements.push_back(dim.expr());
      return value;
    }
    std::vector<const ShapeValue *> in;
    for (const Value *operand : node.operands())
      in.push_back(lookup(operand));
    if (in.empty() || !in[0])
      return std::nullopt;
    const ShapeValue &x = *in[0];
    size_t n = x.elements.size();
    switch (node.id()) {
    case OpId::Cast:
    case OpId::Identity:
      return x;
    case OpId::Reshape:
    case OpId::Squeeze:
    case OpId::Unsqueeze:
    case OpId::Flatten:
      return ShapeValue{x.elements, type.rank() == 0};
    case OpId::Gather: {
      const ShapeValue *indices = in.size() > 1 ? in[1] : nullptr;
      if (!indices || !allConstant(*indices) || x.scalar)
        return std::nullopt;
      ShapeValue value{{}, indices->scalar};
      for (const SymExpr &index : indices->elements) {
        int64_t i = index.constant() < 0 ? index.constant() + int64_t(n) : index.constant();
        if (i < 0 || i >= int64_t(n))
          return std::nullopt;
        value.elements.push_back(x.elements[i]);
      }
      return value;
    }
    case OpId::Slice: {
      if (in.size() < 3 || !in[1] || !in[2] || !allConstant(*in[1]) ||
          !allConstant(*in[2]) || in[1]->elements.size() != 1 || x.scalar)
        return std::nullopt;
      auto single = [&](size_t i) {
        return in[i] && allConstant(*in[i]) && in[i]->elements.size() == 1;
      };
      if (in.size() > 3 && (!single(3) || (in[3]->elements[0].constant() != 0 &&
                                           in[3]->elements[0].constant() != -1)))
        return std::nullopt; // a 1-D tensor has only axis 0
      if (in.size() > 4 && !single(4))
        return std::nullopt;
      int64_t step = in.size() > 4 ? in[4]->elements[0].constant() : 1;
      if (step <= 0)
        return std::nullopt;
      auto clamp = [&](int64_t v) {
        if (v < 0)
          v += int64_t(n);
        return std::clamp<int64_t>(v, 0, int64_t(n));
      };
      int64_t start = clamp(in[1]->elements[0].constant());
      int64_t end = clamp(in[2]->elements[0].constant());
      ShapeValue value;
      for (int64_t i = start; i < end; i += step)
        value.elements.push_back(x.elements[i]);
      return value;
    }
    case OpId::Concat: {
      ShapeValue value;
      for (const ShapeValue *part : in) {
        if (!part)
          return std::nullopt;
        value.elements.insert(value.elements.end(), part->elements.begin(),
                              part->elements.end());
      }
      return value;
    }
    case OpId::ReduceProd: {
      if (node.numOperands() != 1 || node.intAttr("keepdims") != 0)
        return std::nullopt;
      SymExpr product(1);
      for (const SymExpr &e : x.elements)
        product = product * e;
      return ShapeValue{{product}, true};
    }
    case OpId::Add:
    case OpId::Sub:
    case OpId::Mul:
    case OpId::Div:
    case OpId::Min:
    case OpId::Max:
      return binary(node.id(), x, in.size() > 1 ? in[1] : nullptr);
    default:
      return std::nullopt;
    }
  }

  std::optional<ShapeValue> binary(OpId op, const ShapeValue &a, const ShapeValue *b) {
    if (!b)
      return std::nullopt;
    size_t n = std::max(a.elements.size(), b->elements.size());
    if ((a.elements.size() != n && a.elements.size() != 1) ||
        (b->elements.size() != n && b->elements.size() != 1))
      return std::nullopt;
    ShapeValue value{{}, a.scalar && b->scalar};
    for (size_t i = 0; i < n; ++i) {
      const SymExpr &x = a.elements[a.elements.size() == 1 ? 0 : i];
      const SymExpr &y = b->elements[b->elements.size() == 1 ? 0 : i];
      switch (op) {
      case OpId::Add: value.elements.push_back(x + y); break;
      case OpId::Sub: value.elements.push_back(x - y); break;
      case OpId::Mul: value.elements.push_back(x * y); break;
      case OpId::Min: value.elements.push_back(SymExpr::min(x, y)); break;
      case OpId::Max: value.elements.push_back(SymExpr::max(x, y)); break;
      default: {
        // Integer division truncates; it equals floor division only for a
        // non-negative numerator and a positive divisor.
        bool exact = x.valid() && y.valid() && x.bounds().first >= 0 &&
                     y.bounds().first > 0;
        value.elements.push_back(exact ? SymExpr::floorDiv(x, y) : SymExpr::invalid());
      }
      }
    }
    return value;
  }

  void replaceByConstant(Node &node, const ShapeValue &value) {
    const TensorType &type = node.result(0)->type();
    Tensor tensor(type.rank() == 0
                      ? TensorType(type.dtype(), {})
                      : TensorType(type.dtype(), {int64_t(value.elements.size())}));
    for (size_t i = 0; i < value.elements.size(); ++i)
      tensor.setInt(int64_t(i), value.elements[i].constant());
    Builder builder(*node.graph());
    builder.setInsertionPointAndLocation(&node);
    Value *constant = builder.constant(std::move(tensor));
    constant->setName(node.result(0)->name());
    node.result(0)->replaceAllUsesWith(constant);
  }

  void foldReshape(Node &node) {
    const ShapeValue *target = lookup(node.operand(1));
    const TensorType &x = node.operand(0)->type();
    if (!target || !allValid(*target) || constantValue(node.operand(1)) ||
        !x.hasRank())
      return;
    bool allowZero = node.intAttr("allowzero");
    std::vector<int64_t> encoded;
    std::vector<Dim> expected; // unknown where -1 or 0 leave it to inference
    bool inferred = false;
    for (const SymExpr &e : target->elements)
      inferred |= e.isConstant() && e.constant() == -1;
    for (size_t i = 0; i < target->elements.size(); ++i) {
      const SymExpr &e = target->elements[i];
      if (e.isConstant()) {
        encoded.push_back(e.constant());
        bool special = e.constant() == -1 || (e.constant() == 0 && !allowZero);
        expected.push_back(special ? Dim() : Dim::fromExpr(e));
      } else if (!allowZero && int64_t(i) < x.rank() && x.dim(i).isSymbolic() &&
                 x.dim(i).expr() == e) {
        encoded.push_back(0);
        expected.push_back(x.dim(i));
      } else if (!inferred) {
        inferred = true;
        encoded.push_back(-1);
        expected.push_back(Dim::fromExpr(e));
      } else {
        return;
      }
    }
    Builder builder(*node.graph());
    builder.setInsertionPointAndLocation(&node);
    Tensor shape(TensorType(DType::I64, {int64_t(encoded.size())}));
    for (size_t i = 0; i < encoded.size(); ++i)
      shape.setInt(int64_t(i), encoded[i]);
    Value *constant = builder.constant(std::move(shape));
    Value *old = node.operand(1);
    node.setOperand(1, constant);
    Diagnostics scratch;
    std::optional<std::vector<TensorType>> types = inferResultTypes(node, scratch);
    bool matches = types && (*types)[0].hasRank() &&
                   (*types)[0].rank() == int64_t(expected.size());
    for (size_t i = 0; matches && i < expected.size(); ++i) {
      const Dim &got = (*types)[0].dim(i);
      matches = !got.isUnknown() && (expected[i].isUnknown() || got == expected[i]);
    }
    if (!matches) {
      node.setOperand(1, old);
      node.graph()->eraseNode(constant->definingNode());
      return;
    }
    node.result(0)->setType((*types)[0]);
  }

  /// Gives `node`'s result `dims` where its type has unknown or
  /// data-dependent dims and `dims` are all known.
  static void refineResult(Node &node, const std::vector<Dim> &dims) {
    const TensorType &type = node.result(0)->type();
    if (!type.hasRank() || type.rank() != int64_t(dims.size()))
      return;
    std::vector<Dim> refined = type.dims();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i].isUnknown())
        return;
      if (refined[i].isUnknown() || refined[i].dependsOnData())
        refined[i] = dims[i];
    }
    node.result(0)->setType(TensorType(type.dtype(), std::move(refined)));
  }

  /// expand(y, shape) with a known symbolic shape: the broadcast of y's
  /// dims and the shape (constant_of_shape imports as such an expand).
  void refineExpand(Node &node) {
    const TensorType &y = node.operand(0)->type();
    if (!y.hasRank())
      return;
    if (std::optional<std::vector<Dim>> dims = knownSizes(node.operand(1)))
      if (std::optional<std::vector<Dim>> result = broadcastDims(y.dims(), *dims))
        refineResult(node, *result);
  }

  /// The sizes a computed (not constant) shape operand holds, if every one
  /// is known and none is negative.
  std::optional<std::vector<Dim>> knownSizes(const Value *operand) {
    const ShapeValue *value = lookup(operand);
    if (!value || !allValid(*value) || constantValue(operand))
      return std::nullopt;
    std::vector<Dim> dims;
    for (const SymExpr &e : value->elements) {
      if (e.isConstant() && e.constant() < 0)
        return std::nullopt;
      dims.push_back(Dim::fromExpr(e));
    }
    return dims;
  }

  /// range(start, limit, delta) over known sizes: max(ceil((limit - start) /
  /// delta), 0) elements.
  void refineRange(Node &node) {
    const ShapeValue *start = lookup(node.operand(0));
    const ShapeValue *limit = lookup(node.operand(1));
    const ShapeValue *delta = lookup(node.operand(2));
    if (!start || !limit || !delta || !delta->elements[0].isConstant() ||
        delta->elements[0].constant() == 0 ||
        (constantValue(node.operand(0)) && constantValue(node.operand(1))))
      return;
    int64_t step = delta->elements[0].constant();
    SymExpr span = step > 0 ? limit->elements[0] - start->elements[0]
                            : start->elements[0] - limit->elements[0];
    SymExpr length = SymExpr::max(SymExpr::ceilDiv(span, SymExpr(step > 0 ? step : -step)),
                                  SymExpr(0));
    refineResult(node, {Dim::fromExpr(length)});
  }

  /// resize(x, sizes) with known symbolic sizes (a detector's top-down
  /// path resizing each level to the next one's size): those sizes.
  void refineResize(Node &node) {
    if (isFloat(node.operand(1)->type().dtype()))
      return; // scales
    if (std::optional<std::vector<Dim>> dims = knownSizes(node.operand(1)))
      refineResult(node, *dims);
  }

  std::unordered_map<const Value *, ShapeValue> values_;
};

} // namespace

LogicalResult foldShapes(Module &module, PassContext &) {
  ShapeFolder folder;
  module.walk([&](Node &node) { folder.node(node); });
  return success();
}

} // namespace dlc
