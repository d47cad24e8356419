//===- Core.cpp - constant, weight, identity, cast -----------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "kernels/Elementwise.h"

namespace dlc {
namespace {

using namespace kernels;

LogicalResult inferConstant(InferContext &ctx) {
  ctx.addResult(ctx.node().attr("value")->getTensor().type());
  return success();
}

// The type of a module weight referenced by name.
LogicalResult inferWeight(InferContext &ctx) {
  std::string name = ctx.stringAttr("name");
  Module *module = ctx.node().graph()->module();
  const Weight *weight = module ? module->weight(name) : nullptr;
  if (!weight)
    return ctx.error("references unknown weight '" + name + "'");
  ctx.addResult(weight->value->type());
  return success();
}

LogicalResult inferIdentity(InferContext &ctx) {
  ctx.addResult(ctx.operandType(0));
  return success();
}

LogicalResult inferCast(InferContext &ctx) {
  std::string to = ctx.stringAttr("to");
  std::optional<DType> dtype = parseDType(to);
  if (!dtype)
    return ctx.error("attribute 'to' must name a dtype, got \"" + to + "\"");
  ctx.addResult(ctx.operandType(0).withDType(*dtype));
  return success();
}

LogicalResult evalConstant(EvalContext &ctx) {
  ctx.addOutput(ctx.node().attr("value")->getTensorPtr());
  return success();
}

LogicalResult evalWeight(EvalContext &ctx) {
  const Module *module = ctx.node().graph()->module();
  ctx.addOutput(module->weight(ctx.stringAttr("name"))->value);
  return success();
}

LogicalResult evalIdentity(EvalContext &ctx) {
  ctx.addOutput(ctx.sharedInput(0));
  return success();
}

} // namespace

void registerCoreOps(OpRegistry &registry) {
  registry.add({"constant", "core", 0, 0,
                {{"value", AttrKind::Tensor, true}}, inferConstant,
                evalConstant});
  registry.add({"weight", "core", 0, 0,
                {{"name", AttrKind::String, true}}, inferWeight, evalWeight});
  registry.add({"identity", "core", 1, 1, {}, inferIdentity, evalIdentity});
  registry.add({"cast", "core", 1, 1, {{"to", AttrKind::String, true}},
                inferCast, [](const InferContext &, dlrt::ops::LoweredOp &o) {
                  return lowerTo(o, "cast");
                }});
}

} // namespace dlc
