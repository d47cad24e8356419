//===- FoldConstants.cpp - Evaluate what is known at compile time ---------===//
//
// 1. Visit every node, nested graphs included, in order (so folded results
//    feed the folding of their users in the same sweep).
// 2. A node without nested graphs whose operands are all constants (constant
//    or weight nodes) is run by the interpreter, i.e. by the op's reference
//    implementation: the same code that defines the op's meaning.
// 3. Each result becomes a `constant` node, unless a result exceeds the
//    size limit (folding must not blow up the model) or evaluation reports
//    an error (left for run time, where it is reported with real inputs).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "ir/Builder.h"
#include "ir/Interpreter.h"
#include "ir/OpRegistry.h"

namespace dlc {
namespace {

/// The payload of a constant operand, shared rather than copied.
TensorRef sharedConstant(const Value *value) {
  const Node *def = value->definingNode();
  if (def->is(OpId::Constant))
    return def->attr("value")->getTensorPtr();
  return def->graph()->module()->weight(def->stringAttr("name"))->value;
}

class Folder {
public:
  explicit Folder(int64_t limitBytes) : limitBytes_(limitBytes) {}

  void foldNode(Node &node) {
    if (!foldable(node))
      return;
    std::vector<TensorRef> operands;
    for (const Value *operand : node.operands())
      operands.push_back(sharedConstant(operand));
    Diagnostics scratch;
    Interpreter interpreter(scratch);
    std::optional<std::vector<TensorRef>> results =
        interpreter.runNode(node, operands);
    if (!results)
      return;
    for (const TensorRef &result : *results)
      if (static_cast<int64_t>(result->bytes().size()) > limitBytes_)
        return;
    Builder builder(*node.graph());
    builder.setInsertionPointAndLocation(&node);
    for (size_t i = 0; i < node.numResults(); ++i) {
      Value *folded = builder.create("constant", {})
                          .attr("value", Attribute((*results)[i]))
                          .result();
      folded->setName(node.result(i)->name());
      node.result(i)->replaceAllUsesWith(folded);
    }
    node.graph()->eraseNode(&node);
  }

private:
  bool foldable(const Node &node) const {
    if (node.def().has(OpTrait::ConstantLike) || node.def().hasRegions() ||
        node.numOperands() == 0)
      return false;
    for (const Value *operand : node.operands())
      if (!constantValue(operand))
        return false;
    // Skip what is known to be too big before computing it.
    for (size_t i = 0; i < node.numResults(); ++i) {
      std::optional<int64_t> bytes = Tensor::payloadBytes(node.result(i)->type());
      if (bytes && *bytes > limitBytes_)
        return false;
    }
    return true;
  }

  int64_t limitBytes_;
};

} // namespace

LogicalResult foldConstants(Module &module, PassContext &context) {
  Folder folder(context.foldLimitBytes);
  module.walk([&](Node &node) { folder.foldNode(node); });
  return success();
}

} // namespace dlc
