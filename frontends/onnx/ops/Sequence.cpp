//===- Sequence.cpp - ONNX sequence ops, resolved at import time ---------===//
//
// The IR has no sequence type. A sequence whose length and positions are
// known while importing (the common case: built by SequenceConstruct or
// SplitToSequence, indexed by constants) is tracked as a list of IR values,
// and every sequence op becomes list manipulation plus ordinary IR ops.
// Anything that needs a run-time position is "unsupported".
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

/// Input `i` as a sequence, or an error.
std::optional<std::vector<Value *>> sequenceInput(NodeContext &ctx, size_t i) {
  std::optional<std::vector<Value *>> values = ctx.sequence(i);
  if (!values)
    (void)ctx.unsupported("input " + std::to_string(i) +
                          " is not a sequence known at import time");
  return values;
}

/// A position given by constant input `i` (or `fallback` if absent),
/// normalized against `size` (`inclusive` allows size itself, for insert).
std::optional<size_t> position(NodeContext &ctx, size_t i, int64_t fallback,
                               size_t size, bool inclusive) {
  int64_t at = fallback;
  if (Value *value = ctx.input(i)) {
    std::optional<std::vector<int64_t>> given = ctx.constantInts(value);
    if (!given || given->size() != 1) {
      (void)ctx.unsupported("positions must be constant scalars");
      return std::nullopt;
    }
    at = given->front();
  }
  int64_t n = static_cast<int64_t>(size);
  if (at < 0)
    at += n;
  if (at < 0 || at > n || (!inclusive && at == n)) {
    (void)ctx.error("position " + std::to_string(at) +
                    " is out of range for a sequence of " + std::to_string(n));
    return std::nullopt;
  }
  return static_cast<size_t>(at);
}

LogicalResult importSequenceEmpty(NodeContext &ctx) {
  ctx.setSequenceOutput({});
  return success();
}

LogicalResult importSequenceConstruct(NodeContext &ctx) {
  std::vector<Value *> values;
  for (size_t i = 0; i < ctx.numInputs(); ++i)
    values.push_back(ctx.input(i));
  ctx.setSequenceOutput(values);
  return success();
}

LogicalResult importSequenceInsert(NodeContext &ctx) {
  std::optional<std::vector<Value *>> values = sequenceInput(ctx, 0);
  if (!values)
    return failure();
  std::optional<size_t> at =
      position(ctx, 2, static_cast<int64_t>(values->size()), values->size(), true);
  if (!at)
    return failure();
  values->insert(values->begin() + *at, ctx.input(1));
  ctx.setSequenceOutput(*values);
  return success();
}

LogicalResult importSequenceErase(NodeContext &ctx) {
  std::optional<std::vector<Value *>> values = sequenceInput(ctx, 0);
  if (!values)
    return failure();
  std::optional<size_t> at = position(ctx, 1, -1, values->size(), false);
  if (!at)
    return failure();
  values->erase(values->begin() + *at);
  ctx.setSequenceOutput(*values);
  return success();
}

LogicalResult importSequenceAt(NodeContext &ctx) {
  std::optional<std::vector<Value *>> values = sequenceInput(ctx, 0);
  if (!values)
    return failure();
  std::optional<size_t> at = position(ctx, 1, 0, values->size(), false);
  if (!at)
    return failure();
  ctx.setOutputs({ctx.op("identity", {(*values)[*at]})});
  return success();
}

LogicalResult importSequenceLength(NodeContext &ctx) {
  std::optional<std::vector<Value *>> values = sequenceInput(ctx, 0);
  if (!values)
    return failure();
  Tensor length(TensorType(DType::I64, {}));
  length.setInt(0, static_cast<int64_t>(values->size()));
  ctx.setOutputs({ctx.constant(std::move(length))});
  return success();
}

LogicalResult importConcatFromSequence(NodeContext &ctx) {
  std::optional<std::vector<Value *>> values = sequenceInput(ctx, 0);
  if (!values)
    return failure();
  if (values->empty())
    return ctx.error("cannot concatenate an empty sequence");
  int64_t axis = ctx.attrInt("axis", 0);
  if (ctx.attrInt("new_axis", 0)) {
    for (Value *&value : *values) {
      int64_t rank = value->type().hasRank() ? value->type().rank() : 0;
      int64_t at = axis < 0 ? axis + rank + 1 : axis;
      value = ctx.create("unsqueeze", {value}).attr("axes", {at}).result();
      if (!value)
        return failure();
    }
  }
  ctx.setOutputs({ctx.create("concat", *values).attr("axis", axis).result()});
  return success();
}

// SplitToSequence: like Split, with the number of parts from the split
// sizes (or the dim, for parts of size 1 without split).
LogicalResult importSplitToSequence(NodeContext &ctx) {
  Value *x = ctx.input(0);
  std::optional<int64_t> axis = ctx.axisOf(x, "axis", 0);
  if (!axis)
    return failure();
  Value *split = ctx.input(1);
  std::vector<Value *> parts;
  if (!split || (split->type().hasRank() && split->type().rank() == 0)) {
    // Parts of equal size (1, or the scalar split), the last may be shorter.
    int64_t size = 1;
    if (split) {
      std::optional<std::vector<int64_t>> given = ctx.constantInts(split);
      if (!given)
        return ctx.unsupported("a scalar split known only at run time");
      size = given->front();
    }
    const Dim &dim = x->type().dim(*axis);
    if (!dim.isStatic() || size <= 0)
      return ctx.unsupported("splitting a non-static dim");
    std::vector<int64_t> sizes;
    for (int64_t start = 0; start < dim.size(); start += size)
      sizes.push_back(std::min(size, dim.size() - start));
    parts = ctx.splitStatic(x, *axis, sizes);
    if (!split && !ctx.attrInt("keepdims", 1))
      for (Value *&part : parts)
        part = part ? ctx.create("squeeze", {part}).attr("axes", {*axis}).result() : nullptr;
  } else {
    const TensorType &sizes = split->type();
    if (!sizes.hasRank() || sizes.rank() != 1 || !sizes.dim(0).isStatic())
      return ctx.unsupported("split sizes of unknown count");
    parts = ctx.splitDynamic(x, *axis, split, sizes.dim(0).size());
  }
  for (Value *part : parts)
    if (!part)
      return failure();
  ctx.setSequenceOutput(parts);
  return success();
}

} // namespace

void registerSequenceImporters(ImporterTable &table) {
  table["SequenceEmpty"] = importSequenceEmpty;
  table["SequenceConstruct"] = importSequenceConstruct;
  table["SequenceInsert"] = importSequenceInsert;
  table["SequenceErase"] = importSequenceErase;
  table["SequenceAt"] = importSequenceAt;
  table["SequenceLength"] = importSequenceLength;
  table["ConcatFromSequence"] = importConcatFromSequence;
  table["SplitToSequence"] = importSplitToSequence;
}

} // namespace dlc::onnximport
