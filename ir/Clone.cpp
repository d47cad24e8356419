//===- Clone.cpp - Copying nodes and graphs -------------------------------===//

#include "ir/Clone.h"

#include "ir/OpRegistry.h"

#include <algorithm>

#include "ir/Check.h"

namespace dlc {
namespace {

Value *mapped(const ValueMap &mapping, Value *value) {
  auto it = mapping.find(value);
  return it == mapping.end() ? value : it->second;
}

Attribute cloneAttribute(const Attribute &attr) {
  switch (attr.kind()) {
  case AttrKind::Int: return Attribute(attr.getInt());
  case AttrKind::Float: return Attribute(attr.getFloat());
  case AttrKind::String: return Attribute(attr.getString());
  case AttrKind::Ints: return Attribute(attr.getInts());
  case AttrKind::Floats: return Attribute(attr.getFloats());
  case AttrKind::Tensor: return Attribute(attr.getTensorPtr());
  case AttrKind::Graph: return Attribute(cloneGraph(attr.getGraph()));
  }
  DLC_UNREACHABLE("bad attribute kind");
}

} // namespace

Node *cloneNode(const Node &node, Graph &dest, Node *before, ValueMap &mapping) {
  std::vector<Value *> operands, captures;
  for (Value *operand : node.operands())
    operands.push_back(mapped(mapping, operand));
  for (Value *capture : node.captures())
    captures.push_back(mapped(mapping, capture));
  std::vector<TensorType> types;
  for (size_t i = 0; i < node.numResults(); ++i)
    types.push_back(node.result(i)->type());
  std::map<std::string, Attribute, std::less<>> attrs;
  for (const auto &[name, value] : node.attrs())
    attrs.emplace(name, cloneAttribute(value));
  Node *copy = dest.addNode(node.def(), std::move(operands), std::move(types),
                            std::move(attrs), std::move(captures),
                            node.location(), before);
  for (size_t i = 0; i < node.numResults(); ++i) {
    copy->result(i)->setName(node.result(i)->name());
    mapping[node.result(i)] = copy->result(i);
  }
  return copy;
}

std::unique_ptr<Graph> cloneGraph(const Graph &graph) {
  auto copy = std::make_unique<Graph>(graph.name());
  ValueMap mapping;
  for (const auto &input : graph.inputs())
    mapping[input.get()] = copy->addInput(input->type(), input->name());
  for (const auto &node : graph.nodes())
    cloneNode(*node, *copy, nullptr, mapping);
  std::vector<Value *> outputs;
  for (Value *output : graph.outputs())
    outputs.push_back(mapped(mapping, output));
  copy->setOutputs(std::move(outputs), graph.outputNames());
  return copy;
}

std::vector<Value *> inlineGraph(const Graph &source, Graph &dest, Node *before,
                                 const std::vector<Value *> &inputs) {
  DLC_CHECK(inputs.size() == source.numInputs(), "inlineGraph: input count");
  ValueMap mapping;
  for (size_t i = 0; i < inputs.size(); ++i)
    mapping[source.input(i)] = inputs[i];
  for (const auto &node : source.nodes())
    cloneNode(*node, dest, before, mapping);
  std::vector<Value *> outputs;
  for (Value *output : source.outputs())
    outputs.push_back(mapped(mapping, output));
  return outputs;
}

Subgraph subgraphOf(const std::vector<Node *> &nodes) {
  Subgraph sub;
  std::set<const Node *> members(nodes.begin(), nodes.end());
  auto readFromOutside = [&](Value *value) {
    Node *def = value->definingNode();
    if (def && members.count(def))
      return;
    if (def && def->def().has(OpTrait::ConstantLike)) {
      if (std::find(sub.constants.begin(), sub.constants.end(), def) == sub.constants.end())
        sub.constants.push_back(def);
    } else if (std::find(sub.inputs.begin(), sub.inputs.end(), value) == sub.inputs.end()) {
      sub.inputs.push_back(value);
    }
  };
  for (Node *node : nodes) {
    for (Value *operand : node->operands())
      readFromOutside(operand);
    for (Value *capture : node->captures())
      readFromOutside(capture);
  }
  for (Node *node : nodes)
    for (size_t i = 0; i < node->numResults(); ++i) {
      Value *result = node->result(i);
      bool usedOutside = result->outputUses() > 0;
      for (const Node *user : result->users())
        usedOutside |= !members.count(user);
      if (usedOutside)
        sub.outputs.push_back(result);
    }
  return sub;
}

std::set<std::string> calledGraphs(const Module &module) {
  std::set<std::string> names;
  for (const auto &graph : module.graphs())
    graph->walk([&](Node &node) {
      if (node.is(OpId::Call))
        names.insert(node.stringAttr("callee"));
    });
  return names;
}

} // namespace dlc
