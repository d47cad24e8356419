//===- Elementwise.cpp - ONNX elementwise ops ----------------------------===//
//
// One-to-one maps, variadic ops folded into chains, and activations that are
// compositions of IR ops (Selu, HardSigmoid, Softsign, PRelu, ...).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/Import.h"
#include "ir/OpRegistry.h"

#include <cmath>

namespace dlc::onnximport {
namespace {

/// A one-input or two-input op mapped one to one, by table.
const std::map<std::string, std::string, std::less<>> &directOps() {
  static const std::map<std::string, std::string, std::less<>> ops = {
      {"Abs", "abs"},         {"Neg", "neg"},       {"Exp", "exp"},
      {"Log", "log"},         {"Sqrt", "sqrt"},     {"Reciprocal", "reciprocal"},
      {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"},     {"Erf", "erf"},
      {"Sin", "sin"},         {"Cos", "cos"},       {"Tan", "tan"},
      {"Asin", "asin"},       {"Acos", "acos"},     {"Atan", "atan"},
      {"Sinh", "sinh"},       {"Cosh", "cosh"},     {"Asinh", "asinh"},
      {"Acosh", "acosh"},     {"Atanh", "atanh"},   {"Floor", "floor"},
      {"Ceil", "ceil"},       {"Round", "round"},   {"Relu", "relu"},
      {"Sign", "sign"},       {"Not", "not"},       {"Softplus", "softplus"},
      {"Add", "add"},         {"Sub", "sub"},       {"Mul", "mul"},
      {"Div", "div"},         {"Equal", "equal"},   {"Less", "less"},
      {"Greater", "greater"}, {"And", "and"},       {"Or", "or"},
      {"Xor", "xor"},         {"LessOrEqual", "less_equal"},
      {"GreaterOrEqual", "greater_equal"},          {"Where", "where"},
      {"Identity", "identity"},
  };
  return ops;
}

/// Opset < 7 binary ops broadcast only with broadcast=1, aligning the second
/// operand at `axis`; reshape it so numpy broadcasting does the same.
Value *legacyBroadcast(NodeContext &ctx, Value *a, Value *b) {
  if (ctx.opset() >= 7 || !ctx.attrInt("broadcast", 0) || !ctx.hasAttr("axis"))
    return b;
  if (!a->type().hasRank() || !b->type().hasRank())
    return b;
  int64_t rankA = a->type().rank(), rankB = b->type().rank();
  int64_t axis = ctx.attrInt("axis", 0);
  if (axis < 0)
    axis += rankA;
  if (axis < 0 || axis > rankA)
    return b; // out of range: the binary op's broadcasting reports the shapes
  int64_t trailing = rankA - axis - rankB;
  if (trailing <= 0)
    return b;
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < trailing; ++i)
    axes.push_back(rankB + i);
  return ctx.create("unsqueeze", {b}).attr("axes", Attribute(axes)).result();
}

LogicalResult importDirect(NodeContext &ctx) {
  const std::string &op = directOps().at(ctx.opType());
  std::vector<Value *> operands;
  for (size_t i = 0; i < ctx.numInputs(); ++i)
    operands.push_back(ctx.input(i));
  if (operands.size() == 2)
    operands[1] = legacyBroadcast(ctx, operands[0], operands[1]);
  ctx.setOutputs({ctx.op(op, operands)});
  return success();
}

/// Max, Min, Sum, Mean: folds the inputs pairwise.
LogicalResult importVariadic(NodeContext &ctx) {
  static const std::map<std::string, std::string, std::less<>> ops = {
      {"Max", "max"}, {"Min", "min"}, {"Sum", "add"}, {"Mean", "add"}};
  Value *acc = ctx.input(0);
  for (size_t i = 1; i < ctx.numInputs() && acc; ++i)
    acc = ctx.op(ops.at(ctx.opType()), {acc, ctx.input(i)});
  if (acc && ctx.opType() == "Mean")
    acc = ctx.op("div", {acc, ctx.scalar(acc->type().dtype(),
                                         static_cast<double>(ctx.numInputs()))});
  if (acc && ctx.numInputs() == 1)
    acc = ctx.op("identity", {acc});
  ctx.setOutputs({acc});
  return success();
}

LogicalResult importPow(NodeContext &ctx) {
  Value *base = ctx.input(0), *exponent = ctx.input(1);
  if (exponent->type().dtype() != base->type().dtype())
    exponent = ctx.create("cast", {exponent})
                   .attr("to", std::string(dtypeName(base->type().dtype())))
                   .result();
  ctx.setOutputs({ctx.op("pow", {base, exponent})});
  return success();
}

LogicalResult importMod(NodeContext &ctx) {
  ctx.setOutputs({ctx.create("mod", {ctx.input(0), ctx.input(1)})
                      .attr("fmod", ctx.attrInt("fmod", 0))
                      .result()});
  return success();
}

LogicalResult importCast(NodeContext &ctx) {
  int64_t to = ctx.attrInt("to", 0);
  std::optional<DType> dtype = dtypeFromOnnx(static_cast<int32_t>(to));
  if (!dtype)
    return ctx.error("unsupported dtype " + onnxTypeName(static_cast<int32_t>(to)));
  ctx.setOutputs({ctx.create("cast", {ctx.input(0)})
                      .attr("to", std::string(dtypeName(*dtype)))
                      .result()});
  return success();
}

LogicalResult importAlphaActivation(NodeContext &ctx) {
  double fallback = ctx.opType() == "LeakyRelu" ? 0.01 : 1.0;
  std::string op = ctx.opType() == "LeakyRelu" ? "leaky_relu" : "elu";
  ctx.setOutputs({ctx.create(op, {ctx.input(0)})
                      .attr("alpha", ctx.attrFloat("alpha", fallback))
                      .result()});
  return success();
}

// selu(x) = gamma * elu(x, alpha)
LogicalResult importSelu(NodeContext &ctx) {
  Value *x = ctx.input(0);
  Value *elu = ctx.create("elu", {x})
                   .attr("alpha", ctx.attrFloat("alpha", 1.67326319217681884765625))
                   .result();
  if (!elu)
    return failure();
  ctx.setOutputs({ctx.op("mul", {elu, ctx.scalar(x->type().dtype(),
                                                 ctx.attrFloat("gamma", 1.05070102214813232421875))})});
  return success();
}

// hard_sigmoid(x) = clip(alpha * x + beta, 0, 1)
LogicalResult importHardSigmoid(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  Value *scaled = ctx.op("mul", {x, ctx.scalar(dtype, ctx.attrFloat("alpha", 0.2))});
  Value *shifted = scaled ? ctx.op("add", {scaled, ctx.scalar(dtype, ctx.attrFloat("beta", 0.5))}) : nullptr;
  if (!shifted)
    return failure();
  ctx.setOutputs({ctx.op("clip", {shifted, ctx.scalar(dtype, 0), ctx.scalar(dtype, 1)})});
  return success();
}

// softsign(x) = x / (1 + |x|)
LogicalResult importSoftsign(NodeContext &ctx) {
  Value *x = ctx.input(0);
  Value *abs = ctx.op("abs", {x});
  Value *denominator = abs ? ctx.op("add", {abs, ctx.scalar(x->type().dtype(), 1)}) : nullptr;
  if (!denominator)
    return failure();
  ctx.setOutputs({ctx.op("div", {x, denominator})});
  return success();
}

// thresholded_relu(x) = x > alpha ? x : 0
LogicalResult importThresholdedRelu(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  Value *above = ctx.op("greater", {x, ctx.scalar(dtype, ctx.attrFloat("alpha", 1.0))});
  if (!above)
    return failure();
  ctx.setOutputs({ctx.op("where", {above, x, ctx.scalar(dtype, 0)})});
  return success();
}

// shrink(x) = x < -lambd ? x + bias : x > lambd ? x - bias : 0
LogicalResult importShrink(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  double lambd = ctx.attrFloat("lambd", 0.5), bias = ctx.attrFloat("bias", 0.0);
  Value *low = ctx.op("less", {x, ctx.scalar(dtype, -lambd)});
  Value *high = ctx.op("greater", {x, ctx.scalar(dtype, lambd)});
  Value *plus = ctx.op("add", {x, ctx.scalar(dtype, bias)});
  Value *minus = ctx.op("sub", {x, ctx.scalar(dtype, bias)});
  if (!low || !high || !plus || !minus)
    return failure();
  Value *upper = ctx.op("where", {high, minus, ctx.scalar(dtype, 0)});
  ctx.setOutputs({upper ? ctx.op("where", {low, plus, upper}) : nullptr});
  return success();
}

// prelu(x, slope) = x < 0 ? slope * x : x
LogicalResult importPRelu(NodeContext &ctx) {
  Value *x = ctx.input(0), *slope = ctx.input(1);
  // Opset < 7 slopes of shape [C] align with dim 1 of an N,C,... input.
  if (slope->type().hasRank() && x->type().hasRank() &&
      slope->type().rank() == 1 && x->type().rank() > 2 &&
      !slope->type().dim(0).compatibleWith(x->type().dim(x->type().rank() - 1))) {
    std::vector<int64_t> axes;
    for (int64_t i = 1; i < x->type().rank() - 1; ++i)
      axes.push_back(i);
    slope = ctx.create("unsqueeze", {slope}).attr("axes", Attribute(axes)).result();
  }
  Value *negative = ctx.op("less", {x, ctx.scalar(x->type().dtype(), 0)});
  Value *scaled = slope ? ctx.op("mul", {x, slope}) : nullptr;
  if (!negative || !scaled)
    return failure();
  ctx.setOutputs({ctx.op("where", {negative, scaled, x})});
  return success();
}

LogicalResult importClip(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  Value *low = nullptr, *high = nullptr;
  if (ctx.opset() < 11) {
    low = ctx.scalar(dtype, ctx.attrFloat("min", -3.4028234663852886e38));
    high = ctx.scalar(dtype, ctx.attrFloat("max", 3.4028234663852886e38));
  } else {
    low = ctx.input(1);
    high = ctx.input(2);
    if (!low && high) { // only an upper bound: min(x, high)
      ctx.setOutputs({ctx.op("min", {x, high})});
      return success();
    }
  }
  std::vector<Value *> operands = {x};
  if (low)
    operands.push_back(low);
  if (high)
    operands.push_back(high);
  ctx.setOutputs({ctx.op("clip", operands)});
  return success();
}

LogicalResult importIsNaN(NodeContext &ctx) {
  Value *same = ctx.op("equal", {ctx.input(0), ctx.input(0)});
  ctx.setOutputs({same ? ctx.op("not", {same}) : nullptr});
  return success();
}

LogicalResult importIsInf(NodeContext &ctx) {
  Value *x = ctx.input(0);
  DType dtype = x->type().dtype();
  Value *result = nullptr;
  if (ctx.attrInt("detect_positive", 1))
    result = ctx.op("equal", {x, ctx.scalar(dtype, INFINITY)});
  if (ctx.attrInt("detect_negative", 1)) {
    Value *negative = ctx.op("equal", {x, ctx.scalar(dtype, -INFINITY)});
    result = result ? ctx.op("or", {result, negative}) : negative;
  }
  if (!result) {
    Value *finite = ctx.op("equal", {x, x});
    result = finite ? ctx.op("and", {finite, ctx.op("not", {finite})}) : nullptr;
  }
  ctx.setOutputs({result});
  return success();
}

// Inference-time dropout is the identity; the mask, if asked for, is all
// true.
LogicalResult importDropout(NodeContext &ctx) {
  Value *x = ctx.input(0);
  if (Value *training = ctx.input(2)) {
    std::optional<std::vector<int64_t>> mode = ctx.constantInts(training);
    // Training with ratio 0 keeps everything; other ratios are random.
    std::optional<std::vector<int64_t>> ratio;
    bool zeroRatio = false;
    if (Value *r = ctx.input(1); r && r->definingNode() &&
                                 r->definingNode()->is(OpId::Constant))
      zeroRatio = r->definingNode()->attr("value")->getTensor().getDouble(0) == 0;
    if ((!mode || (!mode->empty() && mode->front())) && !zeroRatio)
      return ctx.unsupported("training mode (random masks) is not supported");
  }
  Value *y = ctx.op("identity", {x});
  std::vector<Value *> outputs = {y};
  if (ctx.wantsOutput(1)) {
    Value *shape = ctx.op("shape", {x});
    Tensor yes(TensorType(DType::Bool, {}));
    yes.setInt(0, 1);
    outputs.push_back(shape ? ctx.op("expand", {ctx.constant(std::move(yes)), shape}) : nullptr);
  }
  ctx.setOutputs(outputs);
  return success();
}

} // namespace

void registerElementwiseImporters(ImporterTable &table) {
  for (const auto &[onnxName, irName] : directOps())
    table[onnxName] = importDirect;
  for (const char *name : {"Max", "Min", "Sum", "Mean"})
    table[name] = importVariadic;
  table["Pow"] = importPow;
  table["Mod"] = importMod;
  table["Cast"] = importCast;
  table["LeakyRelu"] = importAlphaActivation;
  table["Elu"] = importAlphaActivation;
  table["Selu"] = importSelu;
  table["HardSigmoid"] = importHardSigmoid;
  table["Softsign"] = importSoftsign;
  table["ThresholdedRelu"] = importThresholdedRelu;
  table["Shrink"] = importShrink;
  table["PRelu"] = importPRelu;
  table["Clip"] = importClip;
  table["IsNaN"] = importIsNaN;
  table["IsInf"] = importIsInf;
  table["Dropout"] = importDropout;
}

} // namespace dlc::onnximport
