//===- Graph.cpp - Module, Graph, Node and Value -------------------------===//

#include "ir/Graph.h"

#include "ir/Check.h"
#include "ir/OpRegistry.h"

#include <algorithm>

namespace dlc {

std::string_view attrKindName(AttrKind kind) {
  switch (kind) {
  case AttrKind::Int: return "int";
  case AttrKind::Float: return "float";
  case AttrKind::String: return "string";
  case AttrKind::Ints: return "ints";
  case AttrKind::Floats: return "floats";
  case AttrKind::Tensor: return "tensor";
  case AttrKind::Graph: return "graph";
  }
  DLC_UNREACHABLE("bad attribute kind");
}

Attribute::Attribute(std::shared_ptr<const Tensor> value)
    : value_(std::move(value)) {
  DLC_CHECK(getTensorPtr() != nullptr, "null tensor attribute");
}
Attribute::Attribute(std::unique_ptr<Graph> value) : value_(std::move(value)) {
  DLC_CHECK(std::get<std::unique_ptr<Graph>>(value_) != nullptr,
            "null graph attribute");
}
Attribute::Attribute(Attribute &&) noexcept = default;
Attribute &Attribute::operator=(Attribute &&) noexcept = default;
Attribute::~Attribute() = default;

std::string_view Node::opName() const { return def_->name; }

std::vector<Value *> Node::results() const {
  std::vector<Value *> values;
  for (const auto &result : results_)
    values.push_back(result.get());
  return values;
}

void Node::addResults(std::vector<TensorType> types) {
  for (TensorType &type : types)
    results_.push_back(std::make_unique<Value>(
        std::move(type), "", graph_, this, static_cast<int>(results_.size())));
}

const Attribute *Node::attr(std::string_view name) const {
  auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}

void Node::setAttr(std::string name, Attribute value) {
  if (value.kind() == AttrKind::Graph) {
    Graph &graph = value.getGraph();
    DLC_CHECK(graph.parent_ == nullptr && graph.module_ == nullptr,
              "graph already owned");
    graph.parent_ = this;
  }
  attrs_.insert_or_assign(std::move(name), std::move(value));
}

std::vector<Graph *> Node::regions() const {
  std::vector<Graph *> graphs;
  for (const auto &[name, value] : attrs_)
    if (value.kind() == AttrKind::Graph)
      graphs.push_back(&value.getGraph());
  return graphs;
}

Module *Graph::module() const {
  const Graph *graph = this;
  while (graph->parent_)
    graph = graph->parent_->graph();
  return graph->module_;
}

Value *Graph::addInput(TensorType type, std::string name) {
  int index = static_cast<int>(inputs_.size());
  inputs_.push_back(std::make_unique<Value>(std::move(type), std::move(name),
                                            this, nullptr, index));
  return inputs_.back().get();
}

Node *Graph::addNode(const OpDef &def, std::vector<Value *> operands,
                     std::vector<TensorType> resultTypes,
                     std::map<std::string, Attribute, std::less<>> attrs,
                     std::vector<Value *> captures, Location location) {
  auto node = std::make_unique<Node>(def, this, std::move(location));
  node->operands_ = std::move(operands);
  node->captures_ = std::move(captures);
  node->addResults(std::move(resultTypes));
  for (auto &[name, value] : attrs)
    node->setAttr(name, std::move(value));
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

void Graph::eraseNode(Node *node) {
  auto it = std::find_if(nodes_.begin(), nodes_.end(),
                         [&](const auto &owned) { return owned.get() == node; });
  DLC_CHECK(it != nodes_.end(), "eraseNode: node not in this graph");
  nodes_.erase(it);
}

Graph *Module::addGraph(std::string name) {
  DLC_CHECK(graph(name) == nullptr, "duplicate graph name");
  graphs_.push_back(std::make_unique<Graph>(std::move(name)));
  graphs_.back()->module_ = this;
  return graphs_.back().get();
}

Graph *Module::graph(std::string_view name) const {
  for (const auto &graph : graphs_)
    if (graph->name() == name)
      return graph.get();
  return nullptr;
}

const Weight &Module::addWeight(Weight weight) {
  DLC_CHECK(this->weight(weight.name) == nullptr, "duplicate weight name");
  DLC_CHECK(weight.value != nullptr, "weight without a value");
  weights_.push_back(std::move(weight));
  return weights_.back();
}

const Weight *Module::weight(std::string_view name) const {
  for (const Weight &weight : weights_)
    if (weight.name == name)
      return &weight;
  return nullptr;
}

} // namespace dlc
