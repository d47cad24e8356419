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
// Node owns its results and attributes. Value and Node pointers are stable.
//
// Mutation keeps the IR's bookkeeping true: every value knows its users
// (operand and capture slots, and graph outputs), so replaceAllUsesWith and
// the checked eraseNode are cheap; nodes live in a list, so inserting before a
// node and erasing one are O(1); and every mutation bumps a change counter of
// the enclosing top-level graph and module, which is how pass
// instrumentation tells "(unchanged)" without comparing text.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_GRAPH_H
#define DLC_IR_GRAPH_H

#include "ir/Attribute.h"
#include "ir/Diagnostics.h"
#include "ir/Type.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <list>
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
enum class OpId : uint16_t;

/// An SSA value: a graph input or a node result.
class Value {
public:
  Value(TensorType type, std::string name, Graph *graph, Node *node, int index)
      : type_(std::move(type)), name_(std::move(name)), graph_(graph),
        node_(node), index_(index) {}

  const TensorType &type() const { return type_; }
  /// Changes the type (shape inference refines types). The caller keeps the
  /// IR verifiable: users' inferred types must stay compatible.
  void setType(TensorType type);
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

  /// The nodes using this value, one entry per operand or capture slot
  /// (a node using it twice appears twice), in no particular order.
  const std::vector<Node *> &users() const { return users_; }
  /// How many graph-output slots of its graph return this value.
  int outputUses() const { return outputUses_; }
  bool hasUses() const { return !users_.empty() || outputUses_ > 0; }
  /// Replaces every use (operands, captures, outputs of its graph) with
  /// `other`, which must belong to the same graph.
  void replaceAllUsesWith(Value *other);

private:
  friend class Graph;
  friend class Node;
  void addUser(Node *user) { users_.push_back(user); }
  /// Erases values[i] (which must be unused) and renumbers the rest.
  static void eraseAt(std::vector<std::unique_ptr<Value>> &values, size_t i);
  void removeUser(Node *user);

  TensorType type_;
  std::string name_;
  Graph *graph_;
  Node *node_;
  int index_;
  std::vector<Node *> users_;
  int outputUses_ = 0;
};

/// One operation: an op from the registry applied to operands.
class Node {
public:
  Node(const OpDef &def, Graph *graph, Location location)
      : def_(&def), graph_(graph), location_(std::move(location)) {}

  const OpDef &def() const { return *def_; }
  std::string_view opName() const;
  /// The op's identity; compare ops with is(OpId::...), not by name.
  OpId id() const;
  bool is(OpId id) const { return this->id() == id; }
  Graph *graph() const { return graph_; }
  const Location &location() const { return location_; }

  const std::vector<Value *> &operands() const { return operands_; }
  Value *operand(size_t i) const { return operands_.at(i); }
  size_t numOperands() const { return operands_.size(); }
  /// Replaces operand `i` (use lists follow).
  void setOperand(size_t i, Value *value);
  /// Replaces all operands.
  void setOperands(std::vector<Value *> values);

  /// Values of the enclosing graph passed into every nested graph.
  const std::vector<Value *> &captures() const { return captures_; }
  void setCapture(size_t i, Value *value);
  /// Removes capture `i` together with the matching (unused) input of every
  /// nested graph.
  void eraseCapture(size_t i);
  /// Appends capture `value` (of the enclosing graph) and the matching
  /// trailing input of every nested graph.
  void addCapture(Value *value);

  size_t numResults() const { return results_.size(); }
  Value *result(size_t i) const { return results_.at(i).get(); }
  std::vector<Value *> results() const;
  /// Appends results of the given types (builders type a node after
  /// creating it).
  void addResults(std::vector<TensorType> types);
  /// Removes result `i`, which must be unused; later results move down.
  void eraseResult(size_t i);

  /// Attributes, ordered by name.
  const std::map<std::string, Attribute, std::less<>> &attrs() const {
    return attrs_;
  }
  /// The attribute `name`, or null.
  const Attribute *attr(std::string_view name) const;
  /// Sets (or replaces) an attribute; a graph attribute becomes a nested
  /// graph of this node. A scalar equal to the op's default is not stored
  /// (the canonical form; see AttrSpec).
  void setAttr(std::string name, Attribute value);
  /// Removes attribute `name` if present.
  void removeAttr(std::string_view name);
  /// Scalar attribute `name`, or the op's default (AttrSpec) when absent.
  /// Asking for an absent attribute without a default is a compiler bug.
  int64_t intAttr(std::string_view name) const;
  double floatAttr(std::string_view name) const;
  std::string stringAttr(std::string_view name) const;
  /// The nested graphs (graph attributes), in attribute-name order.
  std::vector<Graph *> regions() const;

private:
  friend class Graph;
  void setUses(std::vector<Value *> &slots, size_t i, Value *value);

  const OpDef *def_;
  Graph *graph_;
  Location location_;
  std::list<std::unique_ptr<Node>>::iterator self_;
  std::vector<Value *> operands_;
  std::vector<Value *> captures_;
  std::vector<std::unique_ptr<Value>> results_;
  std::map<std::string, Attribute, std::less<>> attrs_;
};

/// A graph: inputs, ordered nodes, outputs.
class Graph {
public:
  using NodeList = std::list<std::unique_ptr<Node>>;

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
  /// Removes input `i`, which must be unused; later inputs move down.
  void eraseInput(size_t i);

  /// Adds a node before `before` (a node of this graph), or at the end if
  /// `before` is null. `resultTypes` fixes the number of results.
  Node *addNode(const OpDef &def, std::vector<Value *> operands,
                std::vector<TensorType> resultTypes,
                std::map<std::string, Attribute, std::less<>> attrs = {},
                std::vector<Value *> captures = {}, Location location = {},
                Node *before = nullptr);
  const NodeList &nodes() const { return nodes_; }
  size_t numNodes() const { return nodes_.size(); }
  /// Removes `node` in O(1); none of its results may still be used
  /// (checked: erasing a used node is a compiler bug).
  void eraseNode(Node *node);
  /// Moves `node` (of this graph) before `before`, or to the end if null.
  void moveNode(Node *node, Node *before);

  const std::vector<Value *> &outputs() const { return outputs_; }
  /// Sets the outputs and their names, one per output; without names each
  /// output is named after the value returned (frontends and builders).
  void setOutputs(std::vector<Value *> outputs, std::vector<std::string> names = {});
  /// Returns `value` from slot `i`; the slot keeps its name.
  void setOutput(size_t i, Value *value);
  /// Removes output slot `i` and its name; later slots move down.
  void eraseOutput(size_t i);

  /// The names of the graph's results, one per output slot. They are the
  /// graph's interface (with its inputs' names): a name belongs to the slot,
  /// not to the value returned there, so a pass that replaces the value
  /// (setOutput, replaceAllUsesWith) keeps the name, two slots may return
  /// one value under two names, and a slot may return an input.
  const std::vector<std::string> &outputNames() const { return outputNames_; }
  const std::string &outputName(size_t i) const { return outputNames_.at(i); }
  void setOutputName(size_t i, std::string name);

  /// Calls fn on every node of this graph in order, each after the nodes of
  /// its nested graphs (post-order, as MLIR's walk). fn may erase the node it
  /// is given, or nodes before it.
  void walk(const std::function<void(Node &)> &fn);

  /// Counts mutations of this graph and every graph nested in it; a pass
  /// that leaves it unchanged changed nothing.
  uint64_t changeCount() const { return changes_; }
  /// Records a mutation here and in every enclosing graph and module.
  void noteChange();

private:
  friend class Node;
  friend class Module;
  std::string name_;
  Node *parent_ = nullptr;
  Module *module_ = nullptr;
  std::vector<std::unique_ptr<Value>> inputs_;
  NodeList nodes_;
  std::vector<Value *> outputs_;
  std::vector<std::string> outputNames_;
  uint64_t changes_ = 0;
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
  /// Removes the weight named `name` (no node may reference it).
  void eraseWeight(std::string_view name);

  /// Graph::walk over every top-level graph, in order.
  void walk(const std::function<void(Node &)> &fn);

  /// Counts mutations of any graph or weight of the module.
  uint64_t changeCount() const { return changes_; }
  void noteChange() { ++changes_; }

private:
  std::vector<std::unique_ptr<Graph>> graphs_;
  uint64_t changes_ = 0;
  std::deque<Weight> weights_; // deque: references stay valid until an erase
};

} // namespace dlc

#endif // DLC_IR_GRAPH_H
