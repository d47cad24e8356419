//===- Graph.h - Module, Graph, Node and Value ----------------*- C++ -*-===//
//
// The graph IR. A Module holds named top-level graphs and named weights. A
// Graph is a list of inputs, topologically ordered nodes and outputs; every
// Value is defined exactly once, as a graph input or a node result (SSA).
// Nodes own nested graphs through graph attributes (`if`'s then/else,
// `loop`'s body). A nested graph never names a value of an enclosing graph:
// the node lists such values as captures, and each of its nested graphs
// receives them as trailing inputs, in order.
//
// Ownership: Module owns graphs and weights, Graph owns its inputs and nodes,
// Node owns its results and attributes. Value pointers are stable.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_GRAPH_H
#define DLC_IR_GRAPH_H

#include "ir/Attribute.h"
#include "ir/Diagnostics.h"
#include "ir/Type.h"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

class Graph;
class Module;
class Node;
struct OpDef;

/// An SSA value: a graph input or a node result.
class Value {
public:
  Value(TensorType type, std::string name, Graph *graph, Node *node, int index)
      : type_(std::move(type)), name_(std::move(name)), graph_(graph),
        node_(node), index_(index) {}

  const TensorType &type() const { return type_; }
  void setType(TensorType type) { type_ = std::move(type); }
  /// The name given by a frontend or the text; may be empty.
  const std::string &name() const { return name_; }
  void setName(std::string name) { name_ = std::move(name); }

  /// The graph this value is defined in.
  Graph *graph() const { return graph_; }
  /// The defining node, or null for a graph input.
  Node *definingNode() const { return node_; }
  bool isGraphInput() const { return node_ == nullptr; }
  /// Result index in the defining node, or input index in the graph.
  int index() const { return index_; }

private:
  TensorType type_;
  std::string name_;
  Graph *graph_;
  Node *node_;
  int index_;
};

/// One operation: an op from the registry applied to operands.
class Node {
public:
  Node(const OpDef &def, Graph *graph, Location location)
      : def_(&def), graph_(graph), location_(std::move(location)) {}

  const OpDef &def() const { return *def_; }
  std::string_view opName() const;
  Graph *graph() const { return graph_; }
  const Location &location() const { return location_; }

  const std::vector<Value *> &operands() const { return operands_; }
  Value *operand(size_t i) const { return operands_.at(i); }
  size_t numOperands() const { return operands_.size(); }
  void setOperand(size_t i, Value *value) { operands_.at(i) = value; }

  /// Values of the enclosing graph passed into every nested graph.
  const std::vector<Value *> &captures() const { return captures_; }
  void setCapture(size_t i, Value *value) { captures_.at(i) = value; }

  size_t numResults() const { return results_.size(); }
  Value *result(size_t i) const { return results_.at(i).get(); }
  std::vector<Value *> results() const;
  /// Appends results of the given types (builders type a node after
  /// creating it).
  void addResults(std::vector<TensorType> types);

  /// Attributes, ordered by name.
  const std::map<std::string, Attribute, std::less<>> &attrs() const {
    return attrs_;
  }
  /// The attribute `name`, or null.
  const Attribute *attr(std::string_view name) const;
  /// Sets (or replaces) an attribute; a graph attribute becomes a nested
  /// graph of this node.
  void setAttr(std::string name, Attribute value);
  /// The nested graphs (graph attributes), in attribute-name order.
  std::vector<Graph *> regions() const;

private:
  friend class Graph;
  const OpDef *def_;
  Graph *graph_;
  Location location_;
  std::vector<Value *> operands_;
  std::vector<Value *> captures_;
  std::vector<std::unique_ptr<Value>> results_;
  std::map<std::string, Attribute, std::less<>> attrs_;
};

/// A graph: inputs, ordered nodes, outputs.
class Graph {
public:
  explicit Graph(std::string name = "") : name_(std::move(name)) {}
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  /// Top-level graphs are named (`@main`); nested graphs are not.
  const std::string &name() const { return name_; }

  /// The node owning this graph through an attribute, or null if top-level.
  Node *parentNode() const { return parent_; }
  /// The module this graph belongs to (walking out of nested graphs), or
  /// null if it is not in one.
  Module *module() const;

  Value *addInput(TensorType type, std::string name = "");
  const std::vector<std::unique_ptr<Value>> &inputs() const { return inputs_; }
  Value *input(size_t i) const { return inputs_.at(i).get(); }
  size_t numInputs() const { return inputs_.size(); }

  /// Appends a node. `resultTypes` fixes the number of results.
  Node *addNode(const OpDef &def, std::vector<Value *> operands,
                std::vector<TensorType> resultTypes,
                std::map<std::string, Attribute, std::less<>> attrs = {},
                std::vector<Value *> captures = {}, Location location = {});
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }
  /// Removes `node`; none of its results may still be used.
  void eraseNode(Node *node);

  const std::vector<Value *> &outputs() const { return outputs_; }
  void setOutputs(std::vector<Value *> outputs) { outputs_ = std::move(outputs); }

private:
  friend class Node;
  friend class Module;
  std::string name_;
  Node *parent_ = nullptr;
  Module *module_ = nullptr;
  std::vector<std::unique_ptr<Value>> inputs_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value *> outputs_;
};

/// Where a weight's bytes live when they are kept out of the text.
struct ExternalData {
  std::string path; ///< As written: relative to the text file's folder.
  int64_t offset = 0;
};

/// A named constant tensor of the module (a model parameter).
struct Weight {
  std::string name;
  std::shared_ptr<const Tensor> value;
  std::optional<ExternalData> external;
};

/// Graphs plus weights. The graph named `main` is the entry point.
class Module {
public:
  Module() = default;
  Module(const Module &) = delete;
  Module &operator=(const Module &) = delete;

  /// Adds an empty top-level graph; the name must be new (checked).
  Graph *addGraph(std::string name);
  const std::vector<std::unique_ptr<Graph>> &graphs() const { return graphs_; }
  /// The graph named `name`, or null.
  Graph *graph(std::string_view name) const;

  /// Adds a weight; the name must be new (checked).
  const Weight &addWeight(Weight weight);
  const std::deque<Weight> &weights() const { return weights_; }
  /// Mutable weights: payloads may be replaced and storage changed, names not.
  std::deque<Weight> &weights() { return weights_; }
  /// The weight named `name`, or null.
  const Weight *weight(std::string_view name) const;

private:
  std::vector<std::unique_ptr<Graph>> graphs_;
  std::deque<Weight> weights_; // deque: references stay valid
};

} // namespace dlc

#endif // DLC_IR_GRAPH_H
