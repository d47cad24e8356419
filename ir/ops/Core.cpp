//===- Core.cpp - constant, weight, identity, cast -----------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"

namespace dlc {
namespace {

LogicalResult inferConstant(InferContext &ctx) {
  ctx.addResult(ctx.node().attr("value")->getTensor().type());
  return success();
}

// The type of a module weight referenced by name.
LogicalResult inferWeight(InferContext &ctx) {
  std::string name = ctx.stringAttr("name", "");
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
  std::string to = ctx.stringAttr("to", "");
  std::optional<DType> dtype = parseDType(to);
  if (!dtype)
    return ctx.error("attribute 'to' must name a dtype, got \"" + to + "\"");
  ctx.addResult(ctx.operandType(0).withDType(*dtype));
  return success();
}

} // namespace

void registerCoreOps(OpRegistry &registry) {
  registry.add({"constant", "core", 0, 0,
                {{"value", AttrKind::Tensor, true}}, inferConstant});
  registry.add({"weight", "core", 0, 0,
                {{"name", AttrKind::String, true}}, inferWeight});
  registry.add({"identity", "core", 1, 1, {}, inferIdentity});
  registry.add({"cast", "core", 1, 1, {{"to", AttrKind::String, true}},
                inferCast});
}

} // namespace dlc
