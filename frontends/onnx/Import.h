//===- Import.h - Internals of the ONNX importer ---------------*- C++ -*-===//
//
// Internal to frontends/onnx. A GraphImporter turns one ONNX graph into one
// IR graph; a NodeContext is what the importer of one ONNX op sees: its
// inputs as IR values, its attributes, a Builder for emitting IR, and
// helpers for constants and nested graphs. Op importers are registered by
// ONNX op type, one file per family under ops/.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_FRONTENDS_ONNX_IMPORT_H
#define DLC_FRONTENDS_ONNX_IMPORT_H

#include "ir/Builder.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlc::onnximport {

class GraphImporter;
class NodeContext;

using ImportFn = LogicalResult (*)(NodeContext &ctx);
using ImporterTable = std::map<std::string, ImportFn, std::less<>>;

void registerElementwiseImporters(ImporterTable &table);
void registerTensorImporters(ImporterTable &table);
void registerNNImporters(ImporterTable &table);
void registerReductionImporters(ImporterTable &table);
void registerControlFlowImporters(ImporterTable &table);
void registerSequenceImporters(ImporterTable &table);

void registerQuantizationImporters(ImporterTable &table);

/// Emits the IR conv for `ctx`'s Conv-style attributes (pads/auto_pad,
/// strides, dilations, group) on the given operands; null after an error.
Value *emitConv(NodeContext &ctx, Value *x, Value *w, Value *bias);

/// The IR dtype of an ONNX TensorProto data type, or nullopt.
std::optional<DType> dtypeFromOnnx(int32_t onnxType);
/// The ONNX data type name (for messages), e.g. "STRING".
std::string onnxTypeName(int32_t onnxType);

/// What one op importer sees.
class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node, int opset,
              Builder &builder)
      : graph_(graph), node_(node), opset_(opset), builder_(builder) {}

  const onnx::NodeProto &proto() const { return node_; }
  const std::string &opType() const { return node_.op_type(); }
  /// The default-domain opset in effect for this node.
  int opset() const { return opset_; }
  Builder &builder() { return builder_; }
  GraphImporter &graph() { return graph_; }

  size_t numInputs() const { return node_.input_size(); }
  /// Input `i`, or null if it is absent (optional inputs named "").
  Value *input(size_t i) const;
  bool hasInput(size_t i) const { return input(i) != nullptr; }
  size_t numOutputs() const { return node_.output_size(); }
  /// Whether output `i` is used (present and named).
  bool wantsOutput(size_t i) const {
    return static_cast<int>(i) < node_.output_size() && !node_.output(i).empty();
  }

  const onnx::AttributeProto *attr(std::string_view name) const;
  bool hasAttr(std::string_view name) const { return attr(name) != nullptr; }
  int64_t attrInt(std::string_view name, int64_t fallback) const;
  double attrFloat(std::string_view name, double fallback) const;
  std::string attrString(std::string_view name, std::string fallback) const;
  std::optional<std::vector<int64_t>> attrInts(std::string_view name) const;
  std::optional<std::vector<double>> attrFloats(std::string_view name) const;

  /// Emits a single-result op; null after an error.
  Value *op(std::string_view op, std::vector<Value *> operands) {
    return builder_.op(op, std::move(operands));
  }
  NodeBuilder create(std::string_view op, std::vector<Value *> operands) {
    return builder_.create(op, std::move(operands));
  }
  /// A 1-D i64 constant.
  Value *i64s(const std::vector<int64_t> &values);
  /// A scalar constant of `dtype`.
  Value *scalar(DType dtype, double value);
  Value *constant(Tensor value) { return builder_.constant(std::move(value)); }
  /// The values of `value` if it is a compile-time constant.
  std::optional<std::vector<int64_t>> constantInts(Value *value) const;
  /// An int list given as attribute `name` (older opsets) or as constant
  /// input `index` (newer ones); nullopt if neither is present. Sets
  /// `dynamic` if the input is present but not constant.
  std::optional<std::vector<int64_t>> intsFromAttrOrInput(std::string_view name,
                                                          size_t index,
                                                          bool &dynamic) const;

  /// Attribute `name` (default `fallback`) as an axis of `x`, made
  /// non-negative; nullopt after an error (unknown rank, out of range).
  std::optional<int64_t> axisOf(Value *x, std::string_view name, int64_t fallback);
  /// Consecutive slices of `x` along `axis` with static `sizes`.
  std::vector<Value *> splitStatic(Value *x, int64_t axis,
                                   const std::vector<int64_t> &sizes);
  /// `count` consecutive slices of `x` along `axis` whose sizes are the
  /// values of the 1-D i64 tensor `sizes`, known at run time.
  std::vector<Value *> splitDynamic(Value *x, int64_t axis, Value *sizes,
                                    int64_t count);

  /// The node's results, in output order.
  void setOutputs(std::vector<Value *> values) { outputs_ = std::move(values); }
  const std::vector<Value *> &outputs() const { return outputs_; }

  /// ONNX sequences are resolved while importing: a sequence is a list of
  /// IR values, so positions and lengths must be known at import time.
  /// Input `i` as a sequence, or nullopt if it is not one.
  std::optional<std::vector<Value *>> sequence(size_t i) const;
  /// Makes output 0 a sequence of `values`.
  void setSequenceOutput(std::vector<Value *> values) {
    sequenceOutput_ = std::move(values);
  }
  const std::optional<std::vector<Value *>> &sequenceOutput() const {
    return sequenceOutput_;
  }

  /// Emits an error naming the node; returns failure().
  LogicalResult error(const std::string &message) const;
  /// An error in the "unsupported op" category.
  LogicalResult unsupported(const std::string &what) const;

private:
  GraphImporter &graph_;
  const onnx::NodeProto &node_;
  int opset_;
  Builder &builder_;
  std::vector<Value *> outputs_;
  std::optional<std::vector<Value *>> sequenceOutput_;
};

/// Imports ONNX graphs (the main graph and nested ones).
class GraphImporter {
public:
  GraphImporter(Module &module, Graph &graph, Diagnostics &diag,
                const std::string &file, int opset, GraphImporter *parent);

  /// Imports `proto`'s nodes and outputs. Inputs and captures must already
  /// be defined (defineValue).
  LogicalResult importBody(const onnx::GraphProto &proto);
  /// Imports the top-level graph: inputs, initializers, nodes, outputs.
  LogicalResult importMain(const onnx::GraphProto &proto);
  /// Emits nodes into this graph (for importers that build parts of a
  /// nested graph themselves, such as Scan's per-iteration gathers).
  Builder &builder() { return builder_; }

  /// Imports a list of nodes into this graph.
  LogicalResult importNodes(const std::vector<const onnx::NodeProto *> &nodes);

  /// Binds an ONNX name to a value in this graph's scope.
  void defineValue(const std::string &name, Value *value);
  /// The value of `name` in this graph's scope, or null.
  Value *lookup(std::string_view name) const;
  /// The sequence named `name`, or null.
  const std::vector<Value *> *lookupSequence(std::string_view name) const;

  /// The free names of `bodies`, in first-use order. A node's captures are
  /// the free names of all its bodies, so every nested graph of the node
  /// receives the same captures.
  static std::vector<std::string>
  freeNames(const std::vector<const onnx::GraphProto *> &bodies);
  /// Imports `body` into a new graph whose inputs are `formalTypes` (named
  /// after body's inputs) then the captures. Null after errors.
  std::unique_ptr<Graph> importRegion(const onnx::GraphProto &body,
                                      const std::vector<TensorType> &formalTypes,
                                      const std::vector<std::string> &captures);

  /// Converts a TensorProto (resolving external data); nullopt after errors.
  std::optional<Tensor> convertTensor(const onnx::TensorProto &tensor,
                                      const std::string &where);
  /// Converts a value's TypeProto; nullopt after errors.
  std::optional<TensorType> convertType(const onnx::TypeProto &type,
                                        const std::string &where);

  Diagnostics &diag() { return diag_; }
  Module &module() { return module_; }
  const std::string &file() const { return file_; }
  int opset() const { return opset_; }
  /// Location for messages about node `name` (or the graph if empty).
  Location location(const std::string &node) const;

  /// Imports the node as its schema's function body (for ops without an
  /// importer, or whose importer handles only some forms).
  LogicalResult expandFunction(NodeContext &ctx);

private:
  LogicalResult importNode(const onnx::NodeProto &node, int opset);
  LogicalResult addInitializer(const onnx::TensorProto &tensor);

  Module &module_;
  Graph &graph_;
  Builder builder_;
  Diagnostics &diag_;
  const std::string &file_;
  int opset_;
  GraphImporter *parent_;
  std::map<std::string, Value *, std::less<>> scope_;
  std::map<std::string, std::vector<Value *>, std::less<>> sequences_;
  /// Function bodies expanded so far (root importer only): unique prefixes.
  int expansions_ = 0;
};

} // namespace dlc::onnximport

#endif // DLC_FRONTENDS_ONNX_IMPORT_H
