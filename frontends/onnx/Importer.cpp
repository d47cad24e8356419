//===- Importer.cpp - Import ONNX models into the graph IR ---------------===//
//
// 1. Read and parse the protobuf (size-checked), pick the default-domain
//    opset.
// 2. Initializers become module weights; other graph inputs become graph
//    inputs with their declared types (dim_param -> symbolic dims).
// 3. Nodes are imported in order by their op's importer (ops/*.cpp); an op
//    without one, whose schema has a function body, is expanded into that
//    body; anything else is an "unsupported op" error.
// 4. Nested graphs get the free names of their bodies as captures.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"

#include "frontends/onnx/Import.h"
#include "ir/OpRegistry.h"
#include "ir/Weights.h"

#include <onnx/defs/schema.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <set>

namespace dlc {
namespace onnximport {

namespace {

const ImporterTable &importers() {
  static const ImporterTable table = [] {
    ImporterTable built;
    registerElementwiseImporters(built);
    registerTensorImporters(built);
    registerNNImporters(built);
    registerReductionImporters(built);
    registerControlFlowImporters(built);
    registerSequenceImporters(built);
    registerQuantizationImporters(built);
    return built;
  }();
  return table;
}

/// A dim_param as a symbol the text format can print: [A-Za-z0-9_.],
/// starting with a letter or '_'.
std::string symbolName(const std::string &param) {
  std::string name;
  for (char c : param)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')
                ? c
                : '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ||
      name[0] == '.')
    name = "d" + name;
  return name;
}

bool readFile(const std::string &path, std::string &bytes, std::string &error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "is a directory, expected an .onnx file";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open file: ") + std::strerror(errno);
    return false;
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && static_cast<int64_t>(size) > kMaxOnnxFileBytes) {
    error = "file is larger than 2 GiB";
    return false;
  }
  if (ec) { // (not a regular file: read to its end)
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    return true;
  }
  // One read of the known size (a character at a time took 3 s for a
  // 330 MB model).
  bytes.resize(static_cast<size_t>(size));
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)) ||
      in.gcount() != static_cast<std::streamsize>(size)) {
    error = "cannot read the whole file";
    return false;
  }
  return true;
}

} // namespace

std::optional<DType> dtypeFromOnnx(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT: return DType::F32;
  case onnx::TensorProto::UINT8: return DType::U8;
  case onnx::TensorProto::INT8: return DType::I8;
  case onnx::TensorProto::UINT16: return DType::U16;
  case onnx::TensorProto::INT16: return DType::I16;
  case onnx::TensorProto::INT32: return DType::I32;
  case onnx::TensorProto::INT64: return DType::I64;
  case onnx::TensorProto::BOOL: return DType::Bool;
  case onnx::TensorProto::FLOAT16: return DType::F16;
  case onnx::TensorProto::DOUBLE: return DType::F64;
  case onnx::TensorProto::UINT32: return DType::U32;
  case onnx::TensorProto::UINT64: return DType::U64;
  case onnx::TensorProto::BFLOAT16: return DType::BF16;
  default: return std::nullopt;
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  return "type " + std::to_string(onnxType);
}

/// The ONNX data type of an IR dtype (for function-body type contexts).
static int32_t onnxFromDType(DType dtype) {
  for (int32_t t = 1; t <= 16; ++t)
    if (dtypeFromOnnx(t) == dtype)
      return t;
  return 0;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

Value *NodeContext::input(size_t i) const {
  if (static_cast<int>(i) >= node_.input_size() || node_.input(i).empty())
    return nullptr;
  return graph_.lookup(node_.input(i));
}

const onnx::AttributeProto *NodeContext::attr(std::string_view name) const {
  for (const onnx::AttributeProto &attr : node_.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeContext::attrInt(std::string_view name, int64_t fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : fallback;
}

double NodeContext::attrFloat(std::string_view name, double fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? static_cast<double>(a->f()) : fallback;
}

std::string NodeContext::attrString(std::string_view name,
                                    std::string fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : fallback;
}

std::optional<std::vector<int64_t>>
NodeContext::attrInts(std::string_view name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<double>>
NodeContext::attrFloats(std::string_view name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<double>(a->floats().begin(), a->floats().end());
}

Value *NodeContext::i64s(const std::vector<int64_t> &values) {
  Tensor tensor(TensorType(DType::I64, {static_cast<int64_t>(values.size())}));
  for (size_t i = 0; i < values.size(); ++i)
    tensor.setInt(i, values[i]);
  return constant(std::move(tensor));
}

Value *NodeContext::scalar(DType dtype, double value) {
  Tensor tensor(TensorType(dtype, {}));
  tensor.setDouble(0, value);
  return constant(std::move(tensor));
}

std::optional<std::vector<int64_t>>
NodeContext::constantInts(Value *value) const {
  if (!value || !value->definingNode())
    return std::nullopt;
  const Node *node = value->definingNode();
  const Tensor *tensor = nullptr;
  if (node->is(OpId::Constant)) {
    tensor = &node->attr("value")->getTensor();
  } else if (node->is(OpId::Weight)) {
    const Weight *weight = graph_.module().weight(node->attr("name")->getString());
    tensor = weight ? weight->value.get() : nullptr;
  }
  if (!tensor)
    return std::nullopt;
  return tensor->toInts();
}

std::optional<std::vector<int64_t>>
NodeContext::intsFromAttrOrInput(std::string_view name, size_t index,
                                 bool &dynamic) const {
  dynamic = false;
  if (std::optional<std::vector<int64_t>> values = attrInts(name))
    return values;
  if (Value *value = input(index)) {
    std::optional<std::vector<int64_t>> values = constantInts(value);
    dynamic = !values;
    return values;
  }
  return std::nullopt;
}

std::optional<std::vector<Value *>> NodeContext::sequence(size_t i) const {
  if (static_cast<int>(i) >= node_.input_size())
    return std::nullopt;
  const std::vector<Value *> *values = graph_.lookupSequence(node_.input(i));
  if (!values)
    return std::nullopt;
  return *values;
}

std::optional<int64_t> NodeContext::axisOf(Value *x, std::string_view name,
                                           int64_t fallback) {
  if (!x->type().hasRank()) {
    (void)unsupported("input of unknown rank");
    return std::nullopt;
  }
  int64_t rank = x->type().rank(), axis = attrInt(name, fallback);
  if (axis < -rank || axis >= rank) {
    (void)error(std::string(name) + " " + std::to_string(axis) +
                " is out of range for rank " + std::to_string(rank));
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<Value *> NodeContext::splitStatic(Value *x, int64_t axis,
                                              const std::vector<int64_t> &sizes) {
  std::vector<Value *> parts;
  int64_t start = 0;
  for (int64_t size : sizes) {
    parts.push_back(op("slice", {x, i64s({start}), i64s({start + size}), i64s({axis})}));
    start += size;
  }
  return parts;
}

// Part i is x[start_i : start_i + sizes[i]] with start_i = sum(sizes[:i]).
std::vector<Value *> NodeContext::splitDynamic(Value *x, int64_t axis,
                                               Value *sizes, int64_t count) {
  std::vector<Value *> parts;
  for (int64_t i = 0; i < count; ++i) {
    Value *before = op("slice", {sizes, i64s({0}), i64s({i})});
    Value *start = before ? create("reduce_sum", {before}).attr("keepdims", 1).result() : nullptr;
    Value *size = op("slice", {sizes, i64s({i}), i64s({i + 1})});
    Value *end = start && size ? op("add", {start, size}) : nullptr;
    parts.push_back(end ? op("slice", {x, start, end, i64s({axis})}) : nullptr);
  }
  return parts;
}

LogicalResult NodeContext::error(const std::string &message) const {
  return graph_.diag().error(graph_.location(node_.name()),
                             node_.op_type() + ": " + message);
}

LogicalResult NodeContext::unsupported(const std::string &what) const {
  return graph_.diag().error(graph_.location(node_.name()),
                             "unsupported op " + node_.op_type() + ": " + what);
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(Module &module, Graph &graph, Diagnostics &diag,
                             const std::string &file, int opset,
                             GraphImporter *parent)
    : module_(module), graph_(graph), builder_(graph, &diag), diag_(diag),
      file_(file), opset_(opset), parent_(parent) {}

Location GraphImporter::location(const std::string &node) const {
  Location location;
  location.file = file_;
  location.node = node;
  return location;
}

void GraphImporter::defineValue(const std::string &name, Value *value) {
  scope_[name] = value;
}

const std::vector<Value *> *
GraphImporter::lookupSequence(std::string_view name) const {
  auto it = sequences_.find(name);
  return it == sequences_.end() ? nullptr : &it->second;
}

Value *GraphImporter::lookup(std::string_view name) const {
  auto it = scope_.find(name);
  return it == scope_.end() ? nullptr : it->second;
}

std::optional<TensorType>
GraphImporter::convertType(const onnx::TypeProto &type,
                           const std::string &where) {
  if (!type.has_tensor_type()) {
    (void)diag_.error(location(""),
                      "unsupported dtype: " + where + " is not a tensor (" +
                          (type.has_sequence_type() ? "sequence"
                           : type.has_optional_type() ? "optional"
                           : type.has_map_type() ? "map"
                                                 : "no type") +
                          ")");
    return std::nullopt;
  }
  const onnx::TypeProto::Tensor &tensor = type.tensor_type();
  std::optional<DType> dtype = dtypeFromOnnx(tensor.elem_type());
  if (!dtype) {
    (void)diag_.error(location(""), "unsupported dtype " +
                                        onnxTypeName(tensor.elem_type()) +
                                        " of " + where);
    return std::nullopt;
  }
  if (!tensor.has_shape())
    return TensorType::unranked(*dtype);
  std::vector<Dim> dims;
  for (const onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0 || dim.dim_value() > kMaxDimSize) {
        (void)diag_.error(location(""), where + " has dimension " +
                                            std::to_string(dim.dim_value()) +
                                            " (out of range 0 to 2^40)");
        return std::nullopt;
      }
      dims.push_back(Dim(dim.dim_value()));
    } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
      dims.push_back(Dim::symbol(symbolName(dim.dim_param())));
    } else {
      dims.push_back(Dim::unknown());
    }
  }
  return TensorType(*dtype, std::move(dims));
}

std::optional<Tensor>
GraphImporter::convertTensor(const onnx::TensorProto &proto,
                             const std::string &where) {
  auto fail = [&](const std::string &message) -> std::optional<Tensor> {
    (void)diag_.error(location(""), message);
    return std::nullopt;
  };
  std::optional<DType> dtype = dtypeFromOnnx(proto.data_type());
  if (!dtype)
    return fail("unsupported dtype " + onnxTypeName(proto.data_type()) +
                " of tensor " + where);
  std::vector<Dim> dims;
  for (int64_t dim : proto.dims()) {
    if (dim < 0 || dim > kMaxDimSize)
      return fail("tensor " + where + " has dimension " + std::to_string(dim) +
                  " (out of range 0 to 2^40)");
    dims.push_back(Dim(dim));
  }
  TensorType type(*dtype, dims);
  std::optional<int64_t> bytes = Tensor::payloadBytes(type);
  if (!bytes)
    return fail("tensor " + where + " of type " + type.str() +
                " exceeds the 4 GiB tensor limit");
  int64_t count = *type.numElements();

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &entry : proto.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::atoll(entry.value().c_str());
      else if (entry.key() == "length")
        length = std::atoll(entry.value().c_str());
    }
    if (length >= 0 && length != *bytes)
      return fail("external data of tensor " + where + " has length " +
                  std::to_string(length) + ", its type " + type.str() +
                  " needs " + std::to_string(*bytes));
    std::string error;
    std::optional<std::vector<uint8_t>> data =
        readExternalData(file_, location, offset, *bytes, error);
    if (!data)
      return fail(error + " (tensor " + where + ")");
    return Tensor(type, std::move(*data));
  }

  if (proto.has_raw_data()) {
    if (static_cast<int64_t>(proto.raw_data().size()) != *bytes)
      return fail("tensor " + where + " has " +
                  std::to_string(proto.raw_data().size()) +
                  " bytes of raw data, its type " + type.str() + " needs " +
                  std::to_string(*bytes));
    const auto *begin = reinterpret_cast<const uint8_t *>(proto.raw_data().data());
    return Tensor(type, std::vector<uint8_t>(begin, begin + *bytes));
  }

  // The typed field the values travel in must hold exactly `count` of them;
  // checked before the tensor is allocated (its dims are the file's word).
  int64_t values;
  switch (*dtype) {
  case DType::F32: values = proto.float_data_size(); break;
  case DType::F64: values = proto.double_data_size(); break;
  case DType::I64: values = proto.int64_data_size(); break;
  case DType::U32:
  case DType::U64: values = proto.uint64_data_size(); break;
  default: values = proto.int32_data_size(); break; // 16-bit floats as bits too
  }
  if (values != count)
    return fail("tensor " + where + " has " + std::to_string(values) +
                " values, its type " + type.str() + " needs " + std::to_string(count));
  Tensor tensor(type);
  for (int64_t i = 0; i < count; ++i) {
    switch (*dtype) {
    case DType::F32: tensor.setDouble(i, proto.float_data(i)); break;
    case DType::F64: tensor.setDouble(i, proto.double_data(i)); break;
    case DType::I64: tensor.setInt(i, proto.int64_data(i)); break;
    case DType::U32:
    case DType::U64: tensor.setInt(i, static_cast<int64_t>(proto.uint64_data(i))); break;
    case DType::F16:
    case DType::BF16: {
      uint16_t bits = static_cast<uint16_t>(proto.int32_data(i));
      std::memcpy(tensor.bytes().data() + 2 * i, &bits, 2);
      break;
    }
    default: tensor.setInt(i, proto.int32_data(i)); break;
    }
  }
  return tensor;
}

LogicalResult GraphImporter::addInitializer(const onnx::TensorProto &proto) {
  std::optional<Tensor> tensor =
      convertTensor(proto, "'" + proto.name() + "'");
  if (!tensor)
    return failure();
  Value *value;
  if (parent_) {
    // Nested graphs keep their constants inline: a weight node needs the
    // module, which a nested graph reaches only once attached to its node.
    value = builder_.constant(std::move(*tensor));
  } else {
    std::string name = proto.name();
    for (int suffix = 1; module_.weight(name); ++suffix)
      name = proto.name() + "." + std::to_string(suffix);
    module_.addWeight(
        Weight{name, std::make_shared<Tensor>(std::move(*tensor)), {}});
    value = builder_.create("weight", {}).attr("name", name).result();
  }
  if (!value)
    return failure();
  value->setName(proto.name());
  defineValue(proto.name(), value);
  return success();
}

LogicalResult GraphImporter::importMain(const onnx::GraphProto &proto) {
  std::set<std::string> initialized;
  for (const onnx::TensorProto &init : proto.initializer())
    initialized.insert(init.name());
  for (const onnx::ValueInfoProto &input : proto.input()) {
    if (initialized.count(input.name()))
      continue; // an initializer with a default value: a constant here
    std::optional<TensorType> type =
        convertType(input.type(), "graph input '" + input.name() + "'");
    if (!type)
      return failure();
    defineValue(input.name(), graph_.addInput(*type, input.name()));
  }
  for (const onnx::TensorProto &init : proto.initializer())
    if (failed(addInitializer(init)))
      return failure();
  return importBody(proto);
}

LogicalResult GraphImporter::importBody(const onnx::GraphProto &proto) {
  if (parent_)
    for (const onnx::TensorProto &init : proto.initializer())
      if (failed(addInitializer(init)))
        return failure();
  std::vector<const onnx::NodeProto *> nodes;
  for (const onnx::NodeProto &node : proto.node())
    nodes.push_back(&node);
  if (failed(importNodes(nodes)))
    return failure();
  std::vector<Value *> outputs;
  std::vector<std::string> names; // the interface: a value may stand for several
  for (const onnx::ValueInfoProto &output : proto.output()) {
    Value *value = lookup(output.name());
    if (!value && lookupSequence(output.name()))
      return diag_.error(location(""), "unsupported dtype: graph output '" +
                                           output.name() + "' is a sequence");
    if (!value)
      return diag_.error(location(""), "graph output '" + output.name() +
                                           "' is not produced by any node");
    outputs.push_back(value);
    names.push_back(output.name());
  }
  graph_.setOutputs(std::move(outputs), std::move(names));
  return success();
}

LogicalResult
GraphImporter::importNodes(const std::vector<const onnx::NodeProto *> &nodes) {
  for (const onnx::NodeProto *node : nodes)
    if (failed(importNode(*node, opset_)))
      return failure();
  return success();
}

/// The node's inputs and outputs against its ONNX schema: counts in range
/// and every required (non-optional) input named, so that op importers may
/// take them for granted.
static LogicalResult checkArity(NodeContext &ctx) {
  const onnx::NodeProto &node = ctx.proto();
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), ctx.opset(), "");
  if (!schema)
    return success(); // not an ONNX op: the importer table says so
  if (node.input_size() < schema->min_input() || node.input_size() > schema->max_input())
    return ctx.error("has " + std::to_string(node.input_size()) + " inputs; " +
                     node.op_type() + " takes " + std::to_string(schema->min_input()) +
                     (schema->max_input() == schema->min_input()
                          ? ""
                          : " to " + (schema->max_input() == std::numeric_limits<int>::max()
                                          ? std::string("any number")
                                          : std::to_string(schema->max_input()))));
  if (node.output_size() < schema->min_output() || node.output_size() > schema->max_output())
    return ctx.error("has " + std::to_string(node.output_size()) + " outputs; " +
                     node.op_type() + " gives " + std::to_string(schema->min_output()) +
                     (schema->max_output() == schema->min_output()
                          ? ""
                          : " to " + std::to_string(schema->max_output())));
  const std::vector<onnx::OpSchema::FormalParameter> &formals = schema->inputs();
  for (size_t i = 0; i < formals.size() && i < static_cast<size_t>(node.input_size()); ++i)
    if (formals[i].GetOption() != onnx::OpSchema::Optional && node.input(i).empty())
      return ctx.error("input " + std::to_string(i) + " ('" + formals[i].GetName() +
                       "') is required");
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        int opset) {
  std::string name = node.name().empty()
                         ? node.op_type() + " #" +
                               std::to_string(graph_.nodes().size())
                         : node.name();
  builder_.setLocation(location(name));
  onnx::NodeProto named = node;
  named.set_name(name);
  NodeContext ctx(*this, named, opset, builder_);
  for (int i = 0; i < node.input_size(); ++i)
    if (!node.input(i).empty() && !lookup(node.input(i)) &&
        !lookupSequence(node.input(i)))
      return ctx.error("input '" + node.input(i) +
                       "' is not defined before this node");
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return ctx.unsupported("domain '" + node.domain() + "' is not supported");
  if (failed(checkArity(ctx)))
    return failure();

  auto it = importers().find(node.op_type());
  if (it == importers().end())
    return expandFunction(ctx);
  size_t errors = diag_.errors().size();
  if (failed(it->second(ctx)))
    return failure();
  if (ctx.sequenceOutput()) {
    if (node.output_size() > 0 && !node.output(0).empty()) // (a node may name no output)
      sequences_[node.output(0)] = *ctx.sequenceOutput();
    return success();
  }
  const std::vector<Value *> &outputs = ctx.outputs();
  for (int i = 0; i < node.output_size(); ++i) {
    if (node.output(i).empty())
      continue;
    if (static_cast<size_t>(i) >= outputs.size() || !outputs[i]) {
      if (diag_.errors().size() > errors)
        return failure(); // inference already explained why
      if (outputs.empty() && lookup(node.output(i)))
        continue; // defined by an expanded function body
      return ctx.unsupported("output " + std::to_string(i) +
                             " is not supported");
    }
    if (outputs[i]->name().empty())
      outputs[i]->setName(node.output(i));
    defineValue(node.output(i), outputs[i]);
  }
  return success();
}

// Replaces the node by its schema's function body: inputs and outputs of the
// body take the node's names, inner names get a unique prefix, and attribute
// references resolve to the node's attributes.
LogicalResult GraphImporter::expandFunction(NodeContext &ctx) {
  const onnx::NodeProto &node = ctx.proto();
  const onnx::OpSchema *schema =
      onnx::OpSchemaRegistry::Schema(node.op_type(), ctx.opset(), "");
  if (!schema)
    return ctx.unsupported("no such op in opset " +
                           std::to_string(ctx.opset()));
  onnx::FunctionProto function;
  if (schema->HasFunction()) {
    function = *schema->GetFunction();
  } else if (schema->HasContextDependentFunction()) {
    std::vector<onnx::TypeProto> types;
    for (int i = 0; i < node.input_size(); ++i) {
      onnx::TypeProto type;
      if (Value *value = ctx.input(i)) {
        auto *tensor = type.mutable_tensor_type();
        tensor->set_elem_type(onnxFromDType(value->type().dtype()));
        if (value->type().hasRank()) {
          auto *shape = tensor->mutable_shape();
          for (const Dim &dim : value->type().dims()) {
            auto *d = shape->add_dim();
            if (dim.isStatic())
              d->set_dim_value(dim.size());
          }
        }
      }
      types.push_back(std::move(type));
    }
    onnx::FunctionBodyBuildContextImpl build(node, types);
    try {
      if (!schema->BuildContextDependentFunction(build, function))
        return ctx.unsupported("its function body cannot be built here");
    } catch (const std::exception &e) {
      return ctx.unsupported(std::string("building its function body "
                                         "failed: ") + e.what());
    }
  } else {
    return ctx.unsupported("no importer and no function body");
  }

  GraphImporter *root = this;
  while (root->parent_)
    root = root->parent_;
  std::string prefix = node.name() + "/" + std::to_string(root->expansions_++) + "/";
  std::map<std::string, std::string> rename;
  for (int i = 0; i < function.input_size(); ++i)
    rename[function.input(i)] = i < node.input_size() ? node.input(i) : "";
  for (int i = 0; i < function.output_size(); ++i)
    rename[function.output(i)] =
        i < node.output_size() ? node.output(i) : prefix + function.output(i);
  auto renamed = [&](const std::string &name) {
    if (name.empty())
      return name;
    auto it = rename.find(name);
    return it != rename.end() ? it->second : prefix + name;
  };
  int bodyOpset = ctx.opset();
  for (const onnx::OperatorSetIdProto &import : function.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      bodyOpset = static_cast<int>(import.version());

  // Nested graphs of the body are renamed the same way, so references to
  // body names from inside them stay consistent.
  std::function<void(onnx::GraphProto &)> renameGraph = [&](onnx::GraphProto &g) {
    for (onnx::ValueInfoProto &v : *g.mutable_input())
      v.set_name(renamed(v.name()));
    for (onnx::ValueInfoProto &v : *g.mutable_output())
      v.set_name(renamed(v.name()));
    for (onnx::TensorProto &t : *g.mutable_initializer())
      t.set_name(renamed(t.name()));
    for (onnx::NodeProto &n : *g.mutable_node()) {
      for (int i = 0; i < n.input_size(); ++i)
        n.set_input(i, renamed(n.input(i)));
      for (int i = 0; i < n.output_size(); ++i)
        n.set_output(i, renamed(n.output(i)));
      for (onnx::AttributeProto &a : *n.mutable_attribute()) {
        if (a.has_g())
          renameGraph(*a.mutable_g());
        for (onnx::GraphProto &nested : *a.mutable_graphs())
          renameGraph(nested);
      }
    }
  };
  for (const onnx::NodeProto &inner : function.node()) {
    onnx::NodeProto copy = inner;
    copy.set_name(prefix + (inner.name().empty() ? inner.op_type() : inner.name()));
    for (int i = 0; i < copy.input_size(); ++i)
      copy.set_input(i, renamed(inner.input(i)));
    for (int i = 0; i < copy.output_size(); ++i)
      copy.set_output(i, renamed(inner.output(i)));
    for (onnx::AttributeProto &a : *copy.mutable_attribute()) {
      if (a.has_g())
        renameGraph(*a.mutable_g());
      for (onnx::GraphProto &nested : *a.mutable_graphs())
        renameGraph(nested);
    }
    google::protobuf::RepeatedPtrField<onnx::AttributeProto> attrs =
        copy.attribute();
    copy.clear_attribute();
    for (const onnx::AttributeProto &attr : attrs) {
      if (attr.ref_attr_name().empty()) {
        *copy.add_attribute() = attr;
        continue;
      }
      // The caller's attribute, or else the schema's default for it.
      const onnx::AttributeProto *given = ctx.attr(attr.ref_attr_name());
      if (!given) {
        auto it = schema->attributes().find(attr.ref_attr_name());
        if (it != schema->attributes().end() &&
            it->second.default_value.type() != onnx::AttributeProto::UNDEFINED)
          given = &it->second.default_value;
      }
      if (given) {
        onnx::AttributeProto resolved = *given;
        resolved.set_name(attr.name());
        *copy.add_attribute() = resolved;
      }
    }
    if (failed(importNode(copy, bodyOpset)))
      return failure();
  }
  return success();
}

std::vector<std::string>
GraphImporter::freeNames(const std::vector<const onnx::GraphProto *> &bodies) {
  std::vector<std::string> free;
  std::set<std::string> seen;
  auto addFree = [&](const std::string &name) {
    if (!name.empty() && seen.insert(name).second)
      free.push_back(name);
  };
  for (const onnx::GraphProto *body : bodies) {
    std::set<std::string> defined;
    for (const onnx::ValueInfoProto &input : body->input())
      defined.insert(input.name());
    for (const onnx::TensorProto &init : body->initializer())
      defined.insert(init.name());
    for (const onnx::NodeProto &node : body->node()) {
      for (const std::string &input : node.input())
        if (!defined.count(input))
          addFree(input);
      for (const onnx::AttributeProto &attr : node.attribute()) {
        std::vector<const onnx::GraphProto *> nested;
        if (attr.has_g())
          nested.push_back(&attr.g());
        for (const onnx::GraphProto &g : attr.graphs())
          nested.push_back(&g);
        for (const std::string &name : freeNames(nested))
          if (!defined.count(name))
            addFree(name);
      }
      for (const std::string &output : node.output())
        defined.insert(output);
    }
    for (const onnx::ValueInfoProto &output : body->output())
      if (!defined.count(output.name()))
        addFree(output.name());
  }
  return free;
}

std::unique_ptr<Graph>
GraphImporter::importRegion(const onnx::GraphProto &body,
                            const std::vector<TensorType> &formalTypes,
                            const std::vector<std::string> &captures) {
  auto graph = std::make_unique<Graph>();
  GraphImporter child(module_, *graph, diag_, file_, opset_, this);
  for (size_t i = 0; i < formalTypes.size(); ++i) {
    std::string name =
        static_cast<int>(i) < body.input_size() ? body.input(i).name() : "";
    child.defineValue(name, graph->addInput(formalTypes[i], name));
  }
  for (const std::string &name : captures) {
    Value *outer = lookup(name);
    if (!outer) {
      (void)diag_.error(location(""), "nested graph refers to '" + name +
                                          "', which no enclosing graph "
                                          "defines");
      return nullptr;
    }
    child.defineValue(name, graph->addInput(outer->type(), name));
  }
  if (failed(child.importBody(body)))
    return nullptr;
  return graph;
}

} // namespace onnximport

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

namespace {

/// Forgets what `options` strips: every node result's rank, and with All
/// main's inputs' too; dtypes stay. (A nested graph's inputs are its node's
/// formals, typed by the IR's rules.)
void stripShapes(Graph &graph, const OnnxImportOptions &options, bool nested) {
  if (!nested && options.shapes == OnnxShapes::All)
    for (const auto &input : graph.inputs())
      input->setType(TensorType::unranked(input->type().dtype()));
  for (const auto &node : graph.nodes()) {
    for (Value *result : node->results())
      result->setType(TensorType::unranked(result->type().dtype()));
    for (Graph *region : node->regions())
      stripShapes(*region, options, true);
  }
}

} // namespace

std::optional<OnnxShapes> parseOnnxShapes(std::string_view text) {
  if (text == "keep")
    return OnnxShapes::Keep;
  if (text == "intermediates")
    return OnnxShapes::Intermediates;
  if (text == "all")
    return OnnxShapes::All;
  return std::nullopt;
}

std::unique_ptr<Module> importOnnxFile(const std::string &path, Diagnostics &diag,
                                       const OnnxImportOptions &options) {
  Location where;
  where.file = path;
  std::string bytes, error;
  if (!onnximport::readFile(path, bytes, error))
    return (void)diag.error(where, error), nullptr;
  return importOnnxModel(bytes, path, diag, options);
}

std::unique_ptr<Module> importOnnxModel(std::string_view bytes, const std::string &path,
                                        Diagnostics &diag, const OnnxImportOptions &options) {
  Location where;
  where.file = path;
  onnx::ModelProto model;
  if (bytes.size() > static_cast<size_t>(kMaxOnnxFileBytes) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return (void)diag.error(where, "not a valid ONNX model (the protobuf "
                                   "does not parse; truncated or not ONNX?)"),
           nullptr;
  if (!model.has_graph())
    return (void)diag.error(where, "not a valid ONNX model (no graph)"),
           nullptr;
  int opset = 0;
  for (const onnx::OperatorSetIdProto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = static_cast<int>(import.version());
  if (opset == 0)
    return (void)diag.error(where,
                            "unsupported op: the model uses only domain '" +
                                (model.opset_import_size()
                                     ? model.opset_import(0).domain()
                                     : std::string("?")) +
                                "'"),
           nullptr;
  if (opset > 17)
    return (void)diag.error(where, "opset " + std::to_string(opset) +
                                       " is newer than the supported 17"),
           nullptr;

  auto module = std::make_unique<Module>();
  Graph *graph = module->addGraph("main");
  onnximport::GraphImporter importer(*module, *graph, diag, path, opset,
                                     nullptr);
  if (failed(importer.importMain(model.graph())))
    return nullptr;
  if (options.shapes != OnnxShapes::Keep)
    stripShapes(*graph, options, false);
  return module;
}

std::optional<Tensor> readOnnxTensorFile(const std::string &path,
                                         Diagnostics &diag, std::string *name) {
  Location where;
  where.file = path;
  std::string bytes, error;
  if (!onnximport::readFile(path, bytes, error))
    return (void)diag.error(where, error), std::nullopt;
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes))
    return (void)diag.error(where, "not a serialized ONNX TensorProto"),
           std::nullopt;
  if (name)
    *name = proto.name();
  Module scratch;
  Graph graph;
  onnximport::GraphImporter importer(scratch, graph, diag, path, 17, nullptr);
  return importer.convertTensor(proto, "'" + proto.name() + "'");
}

} // namespace dlc
