//===- Graph.cpp - Module, Graph, Node and Value -------------------------===//

#include "ir/Graph.h"

#include "ir/Check.h"
#include "ir/OpRegistry.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

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
bool Attribute::sameValue(const Attribute &other) const {
  if (kind() != other.kind())
    return false;
  auto bits = [](double v) {
    uint64_t b;
    std::memcpy(&b, &v, sizeof b);
    return b;
  };
  switch (kind()) {
  case AttrKind::Int: return getInt() == other.getInt();
  case AttrKind::Float: return bits(getFloat()) == bits(other.getFloat());
  case AttrKind::String: return getString() == other.getString();
  case AttrKind::Ints: return getInts() == other.getInts();
  case AttrKind::Floats: {
    const auto &a = getFloats(), &b = other.getFloats();
    if (a.size() != b.size())
      return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (bits(a[i]) != bits(b[i]))
        return false;
    return true;
  }
  case AttrKind::Tensor:
    return getTensorPtr() == other.getTensorPtr() || getTensor() == other.getTensor();
  case AttrKind::Graph: return &getGraph() == &other.getGraph();
  }
  DLC_UNREACHABLE("bad attribute kind");
}

Attribute::Attribute(Attribute &&) noexcept = default;
Attribute &Attribute::operator=(Attribute &&) noexcept = default;
Attribute::~Attribute() = default;

std::string_view Node::opName() const { return def_->name; }
OpId Node::id() const { return def_->id; }

void Value::setType(TensorType type) {
  if (type_ == type)
    return;
  type_ = std::move(type);
  graph_->noteChange();
}

void Value::removeUser(Node *user) {
  auto it = std::find(users_.begin(), users_.end(), user);
  DLC_CHECK(it != users_.end(), "use list out of sync");
  *it = users_.back();
  users_.pop_back();
}

void Value::replaceAllUsesWith(Value *other) {
  DLC_CHECK(other != nullptr && other->graph_ == graph_,
            "replaceAllUsesWith: value of another graph");
  if (other == this)
    return;
  std::vector<Node *> users = users_;
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  for (Node *user : users) {
    for (size_t i = 0; i < user->numOperands(); ++i)
      if (user->operand(i) == this)
        user->setOperand(i, other);
    for (size_t i = 0; i < user->captures().size(); ++i)
      if (user->captures()[i] == this)
        user->setCapture(i, other);
  }
  for (size_t i = 0; outputUses_ > 0 && i < graph_->outputs().size(); ++i)
    if (graph_->outputs()[i] == this)
      graph_->setOutput(i, other);
}

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
  graph_->noteChange();
}

void Value::eraseAt(std::vector<std::unique_ptr<Value>> &values, size_t i) {
  DLC_CHECK(i < values.size(), "erasing a value that does not exist");
  DLC_CHECK(!values[i]->hasUses(), "erasing a value that is still used");
  values.erase(values.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t j = i; j < values.size(); ++j)
    values[j]->index_ = static_cast<int>(j);
}

void Node::eraseResult(size_t i) {
  Value::eraseAt(results_, i);
  graph_->noteChange();
}

void Node::setUses(std::vector<Value *> &slots, size_t i, Value *value) {
  DLC_CHECK(i < slots.size() && value != nullptr, "bad operand slot");
  if (slots[i] == value)
    return;
  slots[i]->removeUser(this);
  value->addUser(this);
  slots[i] = value;
  graph_->noteChange();
}

void Node::setOperand(size_t i, Value *value) { setUses(operands_, i, value); }
void Node::setCapture(size_t i, Value *value) { setUses(captures_, i, value); }

void Node::setOperands(std::vector<Value *> values) {
  for (Value *operand : operands_)
    operand->removeUser(this);
  operands_ = std::move(values);
  for (Value *operand : operands_)
    operand->addUser(this);
  graph_->noteChange();
}

void Node::eraseCapture(size_t i) {
  DLC_CHECK(i < captures_.size(), "eraseCapture: no such capture");
  for (Graph *region : regions()) {
    size_t input = region->numInputs() - captures_.size() + i;
    region->eraseInput(input);
  }
  captures_[i]->removeUser(this);
  captures_.erase(captures_.begin() + static_cast<std::ptrdiff_t>(i));
  graph_->noteChange();
}

void Node::addCapture(Value *value) {
  DLC_CHECK(value != nullptr, "addCapture: no value");
  for (Graph *region : regions())
    region->addInput(value->type(), value->name());
  captures_.push_back(value);
  value->addUser(this);
  graph_->noteChange();
}

const Attribute *Node::attr(std::string_view name) const {
  auto it = attrs_.find(name);
  return it == attrs_.end() ? nullptr : &it->second;
}

namespace {

/// True if `value` equals the default the op's spec gives attribute `name`.
bool isDefault(const OpDef &def, std::string_view name, const Attribute &value) {
  const AttrSpec *spec = def.attrSpec(name);
  if (!spec || spec->kind != value.kind())
    return false;
  const AttrDefault &fallback = spec->defaultValue;
  switch (value.kind()) {
  case AttrKind::Int: {
    auto *d = std::get_if<int64_t>(&fallback);
    return d && *d == value.getInt();
  }
  case AttrKind::Float: {
    auto *d = std::get_if<double>(&fallback);
    return d && *d == value.getFloat();
  }
  case AttrKind::String: {
    auto *d = std::get_if<std::string_view>(&fallback);
    return d && *d == value.getString();
  }
  default:
    return false;
  }
}

template <typename T>
const T &defaultOf(const OpDef &def, std::string_view name) {
  const AttrSpec *spec = def.attrSpec(name);
  const T *value = spec ? std::get_if<T>(&spec->defaultValue) : nullptr;
  if (!value)
    std::fprintf(stderr, "'%s' op: attribute '%s' is absent and has no default\n",
                 std::string(def.name).c_str(), std::string(name).c_str());
  DLC_CHECK(value != nullptr, "absent attribute has no default");
  return *value;
}

} // namespace

int64_t Node::intAttr(std::string_view name) const {
  const Attribute *value = attr(name);
  return value ? value->getInt() : defaultOf<int64_t>(*def_, name);
}

double Node::floatAttr(std::string_view name) const {
  const Attribute *value = attr(name);
  return value ? value->getFloat() : defaultOf<double>(*def_, name);
}

std::string Node::stringAttr(std::string_view name) const {
  const Attribute *value = attr(name);
  return value ? value->getString()
               : std::string(defaultOf<std::string_view>(*def_, name));
}

void Node::setAttr(std::string name, Attribute value) {
  if (isDefault(*def_, name, value)) {
    removeAttr(name);
    return;
  }
  if (value.kind() == AttrKind::Graph) {
    Graph &graph = value.getGraph();
    DLC_CHECK(graph.parent_ == nullptr && graph.module_ == nullptr,
              "graph already owned");
    graph.parent_ = this;
  }
  attrs_.insert_or_assign(std::move(name), std::move(value));
  graph_->noteChange();
}

void Node::removeAttr(std::string_view name) {
  auto it = attrs_.find(name);
  if (it == attrs_.end())
    return;
  attrs_.erase(it);
  graph_->noteChange();
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

void Graph::noteChange() {
  Graph *graph = this;
  while (true) {
    ++graph->changes_;
    if (!graph->parent_)
      break;
    graph = graph->parent_->graph();
  }
  if (graph->module_)
    graph->module_->noteChange();
}

Value *Graph::addInput(TensorType type, std::string name) {
  int index = static_cast<int>(inputs_.size());
  inputs_.push_back(std::make_unique<Value>(std::move(type), std::move(name),
                                            this, nullptr, index));
  noteChange();
  return inputs_.back().get();
}

void Graph::eraseInput(size_t i) {
  Value::eraseAt(inputs_, i);
  noteChange();
}

Node *Graph::addNode(const OpDef &def, std::vector<Value *> operands,
                     std::vector<TensorType> resultTypes,
                     std::map<std::string, Attribute, std::less<>> attrs,
                     std::vector<Value *> captures, Location location,
                     Node *before) {
  DLC_CHECK(before == nullptr || before->graph_ == this,
            "addNode: insertion point in another graph");
  auto owned = std::make_unique<Node>(def, this, std::move(location));
  Node *node = owned.get();
  node->operands_ = std::move(operands);
  node->captures_ = std::move(captures);
  for (Value *value : node->operands_)
    value->addUser(node);
  for (Value *value : node->captures_)
    value->addUser(node);
  node->addResults(std::move(resultTypes));
  for (auto &[name, value] : attrs)
    node->setAttr(name, std::move(value));
  node->self_ = nodes_.insert(before ? before->self_ : nodes_.end(),
                              std::move(owned));
  noteChange();
  return node;
}

void Graph::eraseNode(Node *node) {
  DLC_CHECK(node->graph_ == this, "eraseNode: node not in this graph");
  for (const auto &result : node->results_)
    DLC_CHECK(!result->hasUses(), "eraseNode: a result is still used");
  for (Value *value : node->operands_)
    value->removeUser(node);
  for (Value *value : node->captures_)
    value->removeUser(node);
  nodes_.erase(node->self_);
  noteChange();
}

void Graph::moveNode(Node *node, Node *before) {
  DLC_CHECK(node->graph_ == this && (!before || before->graph_ == this),
            "moveNode: node of another graph");
  if (node == before)
    return;
  nodes_.splice(before ? before->self_ : nodes_.end(), nodes_, node->self_);
  noteChange();
}

void Graph::setOutputs(std::vector<Value *> outputs, std::vector<std::string> names) {
  DLC_CHECK(names.empty() || names.size() == outputs.size(),
            "setOutputs: one name per output");
  if (names.empty())
    for (const Value *value : outputs)
      names.push_back(value->name());
  for (Value *value : outputs_)
    --value->outputUses_;
  outputs_ = std::move(outputs);
  outputNames_ = std::move(names);
  for (Value *value : outputs_)
    ++value->outputUses_;
  noteChange();
}

void Graph::eraseOutput(size_t i) {
  DLC_CHECK(i < outputs_.size(), "eraseOutput: bad slot");
  --outputs_[i]->outputUses_;
  outputs_.erase(outputs_.begin() + static_cast<std::ptrdiff_t>(i));
  outputNames_.erase(outputNames_.begin() + static_cast<std::ptrdiff_t>(i));
  noteChange();
}

void Graph::setOutputName(size_t i, std::string name) {
  DLC_CHECK(i < outputNames_.size(), "setOutputName: bad slot");
  outputNames_[i] = std::move(name);
  noteChange();
}

void Graph::setOutput(size_t i, Value *value) {
  DLC_CHECK(i < outputs_.size() && value, "setOutput: bad slot");
  --outputs_[i]->outputUses_;
  outputs_[i] = value;
  ++value->outputUses_;
  noteChange();
}

void Graph::walk(const std::function<void(Node &)> &fn) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Node *node = (it++)->get();
    for (Graph *region : node->regions())
      region->walk(fn);
    fn(*node); // may erase node: the iterator has moved on
  }
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
  noteChange();
  return weights_.back();
}

void Module::walk(const std::function<void(Node &)> &fn) {
  for (const auto &graph : graphs_)
    graph->walk(fn);
}

void Module::eraseWeight(std::string_view name) {
  auto it = std::find_if(weights_.begin(), weights_.end(),
                         [&](const Weight &weight) { return weight.name == name; });
  DLC_CHECK(it != weights_.end(), "eraseWeight: no such weight");
  weights_.erase(it);
  noteChange();
}

const Weight *Module::weight(std::string_view name) const {
  for (const Weight &weight : weights_)
    if (weight.name == name)
      return &weight;
  return nullptr;
}

} // namespace dlc
