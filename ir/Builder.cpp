//===- Builder.cpp - Short C++ construction of graphs --------------------===//

#include "ir/Builder.h"

#include <algorithm>

#include "ir/Check.h"
#include "ir/OpRegistry.h"

#include <cstdio>

namespace dlc {

NodeBuilder &NodeBuilder::attr(std::string name, Attribute value) {
  attrs_.insert_or_assign(std::move(name), std::move(value));
  return *this;
}

NodeBuilder &NodeBuilder::attr(std::string name,
                               std::initializer_list<int64_t> ints) {
  return attr(std::move(name), Attribute(std::vector<int64_t>(ints)));
}

NodeBuilder &NodeBuilder::captures(std::vector<Value *> values) {
  captures_ = std::move(values);
  return *this;
}

NodeBuilder &NodeBuilder::region(std::string name,
                                 std::vector<TensorType> inputTypes,
                                 const Body &body) {
  auto graph = std::make_unique<Graph>();
  Builder inner(*graph, builder_.diag_);
  inner.setLocation(builder_.location_);
  std::vector<Value *> inputs;
  for (TensorType &type : inputTypes)
    inputs.push_back(inner.input(std::move(type)));
  inner.output(body(inner, inputs));
  return attr(std::move(name), Attribute(std::move(graph)));
}

std::vector<Value *> NodeBuilder::results() {
  const OpDef *def = lookupOp(op_);
  DLC_CHECK(def != nullptr, "Builder: unknown op");
  Graph &graph = builder_.graph_;
  // A missing operand is a step before this one that failed: with a
  // diagnostics sink (importers) it is reported, without one a bug.
  auto missing = [&](const std::vector<Value *> &values, const char *what) {
    auto it = std::find(values.begin(), values.end(), nullptr);
    if (it == values.end())
      return false;
    DLC_CHECK(builder_.diag_ != nullptr, "Builder: null operand");
    (void)builder_.diag_->error(builder_.location_,
                                "'" + op_ + "': " + what + " " +
                                    std::to_string(it - values.begin()) + " is missing");
    return true;
  };
  if (missing(operands_, "operand") || missing(captures_, "capture"))
    return {};
  Node *node = graph.addNode(*def, std::move(operands_), {}, std::move(attrs_),
                             std::move(captures_), builder_.location_,
                             builder_.insertBefore_);
  Diagnostics local;
  Diagnostics &diag = builder_.diag_ ? *builder_.diag_ : local;
  std::optional<std::vector<TensorType>> types = inferResultTypes(*node, diag);
  if (!types) {
    graph.eraseNode(node);
    if (!builder_.diag_) {
      std::fprintf(stderr, "%s", local.str().c_str());
      DLC_UNREACHABLE("Builder: type inference failed");
    }
    return {};
  }
  node->addResults(std::move(*types));
  return node->results();
}

Value *NodeBuilder::result() {
  std::vector<Value *> values = results();
  if (values.empty())
    return nullptr;
  DLC_CHECK(values.size() == 1, "Builder: result() on a multi-result op");
  return values[0];
}

Value *Builder::input(TensorType type, std::string name) {
  return graph_.addInput(std::move(type), std::move(name));
}

NodeBuilder Builder::create(std::string_view op,
                            std::vector<Value *> operands) {
  return NodeBuilder(*this, op, std::move(operands));
}

Value *Builder::ints(const std::vector<int64_t> &values) {
  Tensor tensor(TensorType(DType::I64, {static_cast<int64_t>(values.size())}));
  for (size_t i = 0; i < values.size(); ++i)
    tensor.setInt(static_cast<int64_t>(i), values[i]);
  return constant(std::move(tensor));
}

Value *Builder::constant(Tensor value) {
  return create("constant", {})
      .attr("value", Attribute(std::make_shared<const Tensor>(std::move(value))))
      .result();
}

} // namespace dlc
