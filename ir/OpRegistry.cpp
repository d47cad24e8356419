//===- OpRegistry.cpp - Op definitions and type inference ----------------===//

#include "ir/OpRegistry.h"

#include "ir/Check.h"
#include "ir/ops/Families.h"

#include <algorithm>

namespace dlc {

namespace {
struct OpEntry {
  std::string_view name;
  OpId id;
  OpTrait traits;
};
using T = OpTrait;
constexpr OpEntry kOps[] = {
#define DLC_OP(id, name, traits) {name, OpId::id, traits},
#include "ir/ops/Ops.def"
#undef DLC_OP
};
} // namespace

std::string_view opName(OpId id) { return kOps[static_cast<size_t>(id)].name; }

bool OpDef::hasRegions() const {
  return std::any_of(attrs.begin(), attrs.end(), [](const AttrSpec &spec) {
    return spec.kind == AttrKind::Graph;
  });
}

const AttrSpec *OpDef::attrSpec(std::string_view name) const {
  for (const AttrSpec &spec : attrs)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry built;
    registerCoreOps(built);
    registerElementwiseOps(built);
    registerLinalgOps(built);
    registerConvOps(built);
    registerReductionOps(built);
    registerNormalizationOps(built);
    registerShapeOps(built);
    registerIndexingOps(built);
    registerControlFlowOps(built);
    registerGenerationOps(built);
    registerImageOps(built);
    registerRecurrentOps(built);
    registerSignalOps(built);
    std::sort(built.ops_.begin(), built.ops_.end(),
              [](const auto &a, const auto &b) { return a->name < b->name; });
    DLC_CHECK(built.ops_.size() == std::size(kOps),
              "an op of Ops.def has no definition");
    built.byId_.resize(built.ops_.size());
    for (const auto &op : built.ops_)
      built.byId_[static_cast<size_t>(op->id)] = op.get();
    built.sorted_ = true;
    return built;
  }();
  return registry;
}

void OpRegistry::add(OpDef def) {
  DLC_CHECK(lookup(def.name) == nullptr, "op registered twice");
  DLC_CHECK(def.infer != nullptr, "op without inference");
  DLC_CHECK((def.run.eval != nullptr) != (def.run.lower != nullptr),
            "op needs exactly one of a lowering or an evaluation function");
  auto entry = std::find_if(std::begin(kOps), std::end(kOps),
                            [&](const OpEntry &e) { return e.name == def.name; });
  DLC_CHECK(entry != std::end(kOps), "op missing from ir/ops/Ops.def");
  def.id = entry->id;
  def.traits = entry->traits;
  for (const AttrSpec &spec : def.attrs) {
    const AttrDefault &value = spec.defaultValue;
    DLC_CHECK(std::holds_alternative<std::monostate>(value) ||
                  (spec.kind == AttrKind::Int &&
                   std::holds_alternative<int64_t>(value)) ||
                  (spec.kind == AttrKind::Float &&
                   std::holds_alternative<double>(value)) ||
                  (spec.kind == AttrKind::String &&
                   std::holds_alternative<std::string_view>(value)),
              "attribute default of the wrong kind");
    DLC_CHECK(!spec.required || std::holds_alternative<std::monostate>(value),
              "required attribute with a default");
  }
  ops_.push_back(std::make_unique<OpDef>(std::move(def)));
}

const OpDef *OpRegistry::lookup(std::string_view name) const {
  // Sorted by name once built; while building (add), a linear scan.
  if (!sorted_) {
    for (const auto &op : ops_)
      if (op->name == name)
        return op.get();
    return nullptr;
  }
  auto it = std::lower_bound(
      ops_.begin(), ops_.end(), name,
      [](const auto &op, std::string_view key) { return op->name < key; });
  return it != ops_.end() && (*it)->name == name ? it->get() : nullptr;
}

std::vector<const OpDef *> OpRegistry::ops() const {
  std::vector<const OpDef *> result;
  for (const auto &op : ops_)
    result.push_back(op.get());
  return result;
}

const OpDef *lookupOp(std::string_view name) {
  return OpRegistry::get().lookup(name);
}

namespace {

/// Operand count, captures and attribute kinds against the OpDef.
LogicalResult checkSignature(const Node &node, Diagnostics &diag) {
  const OpDef &def = node.def();
  auto prefix = "'" + std::string(def.name) + "' op ";
  int count = static_cast<int>(node.numOperands());
  if (count < def.minOperands ||
      (def.maxOperands != kVariadic && count > def.maxOperands)) {
    std::string expected =
        def.maxOperands == kVariadic
            ? "at least " + std::to_string(def.minOperands)
        : def.minOperands == def.maxOperands
            ? std::to_string(def.minOperands)
            : std::to_string(def.minOperands) + " to " +
                  std::to_string(def.maxOperands);
    return diag.error(node.location(),
                      prefix + "expects " + expected + " operands, got " +
                          std::to_string(count));
  }
  if (!node.captures().empty() && !def.hasRegions())
    return diag.error(node.location(),
                      prefix + "has no nested graphs and takes no captures");
  for (const auto &[name, value] : node.attrs()) {
    const AttrSpec *spec = def.attrSpec(name);
    if (!spec)
      return diag.error(node.location(),
                        prefix + "has no attribute '" + name + "'");
    if (spec->kind != value.kind())
      return diag.error(node.location(),
                        prefix + "attribute '" + name + "' must be " +
                            std::string(attrKindName(spec->kind)) + ", got " +
                            std::string(attrKindName(value.kind())));
  }
  for (const AttrSpec &spec : def.attrs)
    if (spec.required && !node.attr(spec.name))
      return diag.error(node.location(), prefix + "requires attribute '" +
                                             std::string(spec.name) + "'");
  return success();
}

} // namespace

std::optional<std::vector<TensorType>> inferResultTypes(const Node &node,
                                                        Diagnostics &diag) {
  if (failed(checkSignature(node, diag)))
    return std::nullopt;
  InferContext ctx(node, diag, nullptr);
  if (failed(node.def().infer(ctx)))
    return std::nullopt;
  return std::move(ctx.results());
}

// Broadcasting one dimension pair, where numpy's rule (equal, or one is 1)
// cannot be decided statically: a static size other than 1 wins (the other
// side must be 1 or equal to it); the same symbol twice stays; anything else
// is unknown.
static std::optional<Dim> broadcastDim(const Dim &a, const Dim &b) {
  if (a == b && !a.isUnknown())
    return a;
  if (a.isStatic() && a.size() == 1)
    return b;
  if (b.isStatic() && b.size() == 1)
    return a;
  if (a.isStatic() && b.isStatic())
    return std::nullopt;
  if (a.isStatic())
    return a;
  if (b.isStatic())
    return b;
  return Dim::unknown();
}

std::optional<std::vector<Dim>> broadcastDims(const std::vector<Dim> &a,
                                              const std::vector<Dim> &b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<Dim> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const Dim one(1);
    const Dim &da = i < rank - a.size() ? one : a[i - (rank - a.size())];
    const Dim &db = i < rank - b.size() ? one : b[i - (rank - b.size())];
    std::optional<Dim> dim = broadcastDim(da, db);
    if (!dim)
      return std::nullopt;
    result[i] = *dim;
  }
  return result;
}

bool InferContext::operandsRanked() const {
  // operandType, not the IR's declared types: in the interpreter the
  // concrete operands are ranked even where the IR could not say.
  for (size_t i = 0; i < numOperands(); ++i)
    if (!operandType(i).hasRank())
      return false;
  return true;
}

bool InferContext::unrankedResults(std::initializer_list<DType> dtypes) {
  if (operandsRanked())
    return false;
  for (DType dtype : dtypes)
    addResult(TensorType::unranked(dtype));
  return true;
}

const std::vector<int64_t> *
InferContext::intsAttr(std::string_view name) const {
  const Attribute *attr = node_.attr(name);
  return attr ? &attr->getInts() : nullptr;
}

Graph *InferContext::region(std::string_view name) const {
  const Attribute *attr = node_.attr(name);
  DLC_CHECK(attr && attr->kind() == AttrKind::Graph, "missing region");
  return &attr->getGraph();
}

const Tensor *constantValue(const Value *value) {
  const Node *def = value->definingNode();
  if (!def)
    return nullptr;
  if (def->is(OpId::Constant)) {
    const Attribute *attr = def->attr("value");
    return attr && attr->kind() == AttrKind::Tensor ? &attr->getTensor()
                                                    : nullptr;
  }
  if (def->is(OpId::Weight)) {
    const Attribute *name = def->attr("name");
    Module *module = def->graph()->module();
    if (!name || name->kind() != AttrKind::String || !module)
      return nullptr;
    const Weight *weight = module->weight(name->getString());
    return weight ? weight->value.get() : nullptr;
  }
  return nullptr;
}

const Tensor *InferContext::constantOperand(size_t i) const {
  if (values_)
    return (*values_)[i];
  return constantValue(node_.operand(i));
}

std::optional<std::vector<int64_t>>
InferContext::constantInts(size_t i) const {
  const Tensor *tensor = constantOperand(i);
  if (!tensor)
    return std::nullopt;
  return tensor->toInts();
}

std::optional<std::vector<int64_t>>
InferContext::axesAttrOrOperand(size_t operand, bool &dynamic) const {
  dynamic = false;
  if (const std::vector<int64_t> *attr = intsAttr("axes"))
    return *attr;
  if (numOperands() <= operand)
    return std::nullopt;
  std::optional<std::vector<int64_t>> values = constantInts(operand);
  dynamic = !values;
  return values;
}

LogicalResult InferContext::error(const std::string &message) const {
  return diag_.error(node_.location(),
                     "'" + std::string(node_.opName()) + "' op " + message);
}

LogicalResult InferContext::normalizeAxis(int64_t axis, int64_t rank,
                                          int64_t &out) const {
  if (axis < -rank || axis >= rank)
    return error("axis " + std::to_string(axis) + " is out of range for rank " +
                 std::to_string(rank));
  out = axis < 0 ? axis + rank : axis;
  return success();
}

LogicalResult
InferContext::expectDType(size_t i, std::initializer_list<DType> allowed) const {
  DType actual = operandType(i).dtype();
  if (std::find(allowed.begin(), allowed.end(), actual) != allowed.end())
    return success();
  std::string names;
  for (DType type : allowed)
    names += (names.empty() ? "" : ", ") + std::string(dtypeName(type));
  return error("operand " + std::to_string(i) + " has dtype " +
               std::string(dtypeName(actual)) + ", expected one of " + names);
}

LogicalResult
InferContext::expectUniformDType(std::initializer_list<DType> allowed) const {
  if (failed(expectDType(0, allowed)))
    return failure();
  for (size_t i = 1; i < numOperands(); ++i)
    if (failed(expectSameDType(0, i)))
      return failure();
  return success();
}

LogicalResult InferContext::normalizeAxes(const std::vector<int64_t> &axes,
                                          int64_t rank, std::string_view attr,
                                          std::vector<int64_t> &out) const {
  out.clear();
  for (int64_t axis : axes) {
    int64_t normalized;
    if (failed(normalizeAxis(axis, rank, normalized)))
      return failure();
    out.push_back(normalized);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    return error("attribute '" + std::string(attr) + "' repeats an axis");
  return success();
}

LogicalResult InferContext::expectSameDType(size_t i, size_t j) const {
  if (operandType(i).dtype() == operandType(j).dtype())
    return success();
  return error("operands " + std::to_string(i) + " and " + std::to_string(j) +
               " must have the same dtype, got " + operandType(i).str() +
               " and " + operandType(j).str());
}

} // namespace dlc
