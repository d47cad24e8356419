//===- Quantization.cpp - ONNX quantized ops as real-valued IR -----------===//
//
// Quantized tensors are integers with a scale and a zero point. These ops
// become exact real arithmetic in f64 (integer products and sums stay exact
// below 2^53) followed by the requantizing rounding:
//   dequantize(q) = (q - zero_point) * scale
//   quantize(r)   = saturate(round_half_even(r / scale) + zero_point)
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"

namespace dlc::onnximport {
namespace {

Value *castTo(NodeContext &ctx, Value *value, DType dtype) {
  if (!value || value->type().dtype() == dtype)
    return value;
  return ctx.create("cast", {value}).attr("to", std::string(dtypeName(dtype))).result();
}

/// A per-axis parameter (scale, zero point) shaped to broadcast along `axis`
/// of a tensor of `rank`: 1-D [C] becomes [C, 1, ..., 1].
Value *alongAxis(NodeContext &ctx, Value *param, int64_t rank, int64_t axis) {
  if (!param || !param->type().hasRank() || param->type().rank() != 1)
    return param;
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return param; // out of range: the op's broadcasting reports the shapes
  std::vector<int64_t> axes;
  for (int64_t i = axis + 1; i < rank; ++i)
    axes.push_back(i - axis);
  if (axes.empty())
    return param;
  return ctx.create("unsqueeze", {param}).attr("axes", Attribute(axes)).result();
}

int64_t rankOf(Value *value) {
  return value && value->type().hasRank() ? value->type().rank() : 0;
}

/// (q - zero_point) in f64; `zero` may be null (0).
Value *centered(NodeContext &ctx, Value *q, Value *zero) {
  Value *real = castTo(ctx, q, DType::F64);
  return real && zero ? ctx.op("sub", {real, castTo(ctx, zero, DType::F64)}) : real;
}

/// saturate(round(real / scale) + zero) in `target` (u8, i8 or i32).
Value *quantize(NodeContext &ctx, Value *real, Value *scale, Value *zero,
                DType target) {
  DType dtype = real ? real->type().dtype() : DType::F64;
  Value *q = real && scale ? ctx.op("div", {real, castTo(ctx, scale, dtype)}) : nullptr;
  q = q ? ctx.op("round", {q}) : nullptr;
  if (q && zero)
    q = ctx.op("add", {q, castTo(ctx, zero, dtype)});
  double lo = target == DType::U8 ? 0 : target == DType::I8 ? -128 : -2147483648.0;
  double hi = target == DType::U8 ? 255 : target == DType::I8 ? 127 : 2147483647.0;
  q = q ? ctx.op("clip", {q, ctx.scalar(dtype, lo), ctx.scalar(dtype, hi)}) : nullptr;
  return castTo(ctx, q, target);
}

LogicalResult importQuantize(NodeContext &ctx) {
  Value *x = ctx.input(0);
  int64_t rank = rankOf(x), axis = ctx.attrInt("axis", 1);
  Value *scale = alongAxis(ctx, ctx.input(1), rank, axis);
  Value *zero = alongAxis(ctx, ctx.input(2), rank, axis);
  DType target = zero ? zero->type().dtype() : DType::U8;
  if (target != DType::U8 && target != DType::I8)
    return ctx.unsupported("quantizing to " + std::string(dtypeName(target)));
  ctx.setOutputs({quantize(ctx, x, scale, zero, target)});
  return success();
}

LogicalResult importDequantize(NodeContext &ctx) {
  Value *x = ctx.input(0);
  int64_t rank = rankOf(x), axis = ctx.attrInt("axis", 1);
  Value *scale = alongAxis(ctx, ctx.input(1), rank, axis);
  Value *zero = alongAxis(ctx, ctx.input(2), rank, axis);
  if (!scale)
    return failure();
  DType dtype = scale->type().dtype();
  Value *value = castTo(ctx, x, dtype);
  if (value && zero)
    value = ctx.op("sub", {value, castTo(ctx, zero, dtype)});
  ctx.setOutputs({value ? ctx.op("mul", {value, scale}) : nullptr});
  return success();
}

// MatMulInteger(a, b, [a_zero], [b_zero]) -> i32: a's zero point is per row
// (or scalar), b's per column.
LogicalResult importMatMulInteger(NodeContext &ctx) {
  Value *a = ctx.input(0), *b = ctx.input(1);
  Value *aZero = alongAxis(ctx, ctx.input(2), rankOf(a), -2);
  Value *product = ctx.op("matmul", {centered(ctx, a, aZero), centered(ctx, b, ctx.input(3))});
  ctx.setOutputs({castTo(ctx, product, DType::I32)});
  return success();
}

// ConvInteger(x, w, [x_zero], [w_zero]) -> i32; w's zero point per output
// channel.
LogicalResult importConvInteger(NodeContext &ctx) {
  Value *x = ctx.input(0), *w = ctx.input(1);
  Value *wZero = alongAxis(ctx, ctx.input(3), rankOf(w), 0);
  Value *y = emitConv(ctx, centered(ctx, x, ctx.input(2)), centered(ctx, w, wZero), nullptr);
  ctx.setOutputs({castTo(ctx, y, DType::I32)});
  return success();
}

// QLinearMatMul(a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero).
LogicalResult importQLinearMatMul(NodeContext &ctx) {
  Value *a = ctx.input(0), *b = ctx.input(3);
  Value *aScale = alongAxis(ctx, ctx.input(1), rankOf(a), -2);
  Value *aZero = alongAxis(ctx, ctx.input(2), rankOf(a), -2);
  Value *product = ctx.op("matmul", {centered(ctx, a, aZero), centered(ctx, b, ctx.input(5))});
  Value *scales = ctx.op("mul", {castTo(ctx, aScale, DType::F64), castTo(ctx, ctx.input(4), DType::F64)});
  Value *real = product && scales ? ctx.op("mul", {product, scales}) : nullptr;
  ctx.setOutputs({quantize(ctx, real, ctx.input(6), ctx.input(7), ctx.input(7)->type().dtype())});
  return success();
}

// QLinearConv(x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero, [B]);
// w's scale and zero point are per output channel, B is i32 at scale
// x_scale * w_scale.
LogicalResult importQLinearConv(NodeContext &ctx) {
  Value *x = ctx.input(0), *w = ctx.input(3);
  int64_t rank = rankOf(x);
  Value *wZero = alongAxis(ctx, ctx.input(5), rankOf(w), 0);
  Value *acc = emitConv(ctx, centered(ctx, x, ctx.input(2)), centered(ctx, w, wZero), nullptr);
  if (acc && ctx.input(8))
    acc = ctx.op("add", {acc, alongAxis(ctx, castTo(ctx, ctx.input(8), DType::F64), rank, 1)});
  Value *scales = ctx.op("mul", {castTo(ctx, ctx.input(1), DType::F64),
                                 alongAxis(ctx, castTo(ctx, ctx.input(4), DType::F64), rank, 1)});
  Value *real = acc && scales ? ctx.op("mul", {acc, scales}) : nullptr;
  ctx.setOutputs({quantize(ctx, real, ctx.input(6), ctx.input(7), ctx.input(7)->type().dtype())});
  return success();
}

} // namespace

void registerQuantizationImporters(ImporterTable &table) {
  table["QuantizeLinear"] = importQuantize;
  table["DequantizeLinear"] = importDequantize;
  table["MatMulInteger"] = importMatMulInteger;
  table["ConvInteger"] = importConvInteger;
  table["QLinearMatMul"] = importQLinearMatMul;
  table["QLinearConv"] = importQLinearConv;
}

} // namespace dlc::onnximport
