//===- Builder.h - Short C++ construction of graphs -----------*- C++ -*-===//
//
// Builds typed graphs with inference doing the typing:
//
//   Module module;
//   Builder b(*module.addGraph("main"));
//   Value *x = b.input(TensorType(DType::F32, {Dim::symbol("N"), 4}), "x");
//   Value *y = b.op("relu", {x});
//   Value *z = b.create("softmax", {y}).attr("axis", 1).result();
//   b.output({z});
//
// Nested graphs are built in place with region(); their inputs are given as
// types and their bodies as lambdas receiving a Builder for the new graph.
// A Builder without Diagnostics treats an inference failure as a bug in the
// calling code and aborts with the message; with Diagnostics (frontends) it
// reports the error and result()/op() return null.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_BUILDER_H
#define DLC_IR_BUILDER_H

#include "ir/Graph.h"

#include <functional>
#include <initializer_list>

namespace dlc {

class Builder;

/// Accumulates one node's attributes, captures and regions; result() or
/// results() adds it to the graph.
class NodeBuilder {
public:
  using Body = std::function<std::vector<Value *>(
      Builder &, const std::vector<Value *> &inputs)>;

  NodeBuilder &attr(std::string name, Attribute value);
  NodeBuilder &attr(std::string name, std::initializer_list<int64_t> ints);
  NodeBuilder &captures(std::vector<Value *> values);
  /// Adds graph attribute `name`: a graph with inputs of `inputTypes`
  /// whose outputs are what `body` returns.
  NodeBuilder &region(std::string name, std::vector<TensorType> inputTypes,
                      const Body &body);

  /// Adds the node; its results, or empty (after an error) on failure.
  std::vector<Value *> results();
  /// Adds a single-result node; its result, or null on failure.
  Value *result();

private:
  friend class Builder;
  NodeBuilder(Builder &builder, std::string_view op,
              std::vector<Value *> operands)
      : builder_(builder), op_(op), operands_(std::move(operands)) {}

  Builder &builder_;
  std::string op_;
  std::vector<Value *> operands_;
  std::vector<Value *> captures_;
  std::map<std::string, Attribute, std::less<>> attrs_;
};

class Builder {
public:
  /// Reports inference errors to `diag`, or aborts if `diag` is null.
  explicit Builder(Graph &graph, Diagnostics *diag = nullptr)
      : graph_(graph), diag_(diag) {}

  Graph &graph() const { return graph_; }
  /// Location given to the nodes built from now on.
  void setLocation(Location location) { location_ = std::move(location); }
  const Location &location() const { return location_; }
  /// New nodes go before `node` (of this builder's graph); null appends.
  void setInsertionPoint(Node *node) { insertBefore_ = node; }
  /// Where new nodes go (null: at the end).
  Node *insertionPoint() const { return insertBefore_; }
  /// New nodes go right before `node`, with its location: how a rewrite
  /// builds the replacement of a node.
  void setInsertionPointAndLocation(Node *node) {
    insertBefore_ = node;
    location_ = node->location();
  }

  Value *input(TensorType type, std::string name = "");
  /// Starts a node of op `op` (which must be registered).
  NodeBuilder create(std::string_view op, std::vector<Value *> operands);
  /// A single-result node without attributes.
  Value *op(std::string_view op, std::vector<Value *> operands) {
    return create(op, std::move(operands)).result();
  }
  /// A `constant` node holding `value`.
  Value *constant(Tensor value);
  /// A `constant` i64 vector (shapes, axes, starts and ends).
  Value *ints(const std::vector<int64_t> &values);
  void output(std::vector<Value *> values) { graph_.setOutputs(std::move(values)); }

private:
  friend class NodeBuilder;
  Graph &graph_;
  Diagnostics *diag_;
  Location location_;
  Node *insertBefore_ = nullptr;
};

} // namespace dlc

#endif // DLC_IR_BUILDER_H
