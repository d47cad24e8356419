//===- Printer.cpp - The textual form of the IR (.dlir) ------------------===//

#include "ir/Printer.h"

#include "ir/Check.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

namespace dlc {

namespace {

template <typename T> std::string shortest(T value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  DLC_CHECK(ec == std::errc(), "to_chars failed");
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  return text;
}

bool isBareName(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '.' || c == '$' || c == '-'))
      return false;
  return true;
}

bool isAllDigits(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

std::string quote(std::string_view text) {
  static const char *hex = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// `name` as it follows a sigil: bare if possible, else quoted.
std::string symbolText(std::string_view name) {
  return isBareName(name) ? std::string(name) : quote(name);
}

bool hasNaN(const Tensor &tensor) {
  if (!isFloat(tensor.dtype()))
    return false;
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    if (std::isnan(tensor.getDouble(i)))
      return true;
  return false;
}

/// More than one element, all with the same bytes: prints as one value.
bool isSplat(const Tensor &tensor) {
  int64_t count = tensor.numElements();
  if (count < 2 || static_cast<int64_t>(tensor.bytes().size()) > kMaxSplatBytes)
    return false;
  size_t size = dtypeSize(tensor.dtype());
  const uint8_t *data = tensor.bytes().data();
  for (int64_t i = 1; i < count; ++i)
    if (std::memcmp(data, data + i * size, size) != 0)
      return false;
  return true;
}

std::string elementText(const Tensor &tensor, int64_t i) {
  switch (tensor.dtype()) {
  case DType::F64: return shortest(tensor.getDouble(i));
  case DType::F32:
  case DType::F16:
  case DType::BF16: return shortest(static_cast<float>(tensor.getDouble(i)));
  case DType::Bool: return tensor.getInt(i) ? "true" : "false";
  case DType::U64:
    return std::to_string(static_cast<uint64_t>(tensor.getInt(i)));
  default: return std::to_string(tensor.getInt(i));
  }
}

class Printer {
public:
  explicit Printer(const PrintOptions &options) : options_(options) {}

  /// Graphs first, then the weights (bulk data), as MLIR prints resources
  /// after the operations; a dump that elides tensors says so first.
  std::string module(const Module &module) {
    bool first = true;
    for (const auto &graph : module.graphs()) {
      if (!first)
        out_ += "\n";
      first = false;
      out_ += "graph @" + symbolText(graph->name());
      this->graph(*graph, 0);
      out_ += "\n";
    }
    if (!module.weights().empty() && !first)
      out_ += "\n";
    for (const Weight &weight : module.weights()) {
      out_ += "weight @" + symbolText(weight.name) + " = ";
      if (weight.external)
        out_ += "external<" + weight.value->type().str() + " " +
                quote(weight.external->path) + " " +
                std::to_string(weight.external->offset) + ">";
      else
        tensor(*weight.value);
      out_ += "\n";
    }
    if (elided_ > 0)
      out_ = "// elided: " + std::to_string(elided_) + " tensor" + (elided_ > 1 ? "s" : "") +
             " of more than " + std::to_string(options_.elideAbove) +
             " elements; this text cannot be read back (print it with --print-weights or "
             "--weights-file)\n" +
             out_;
    return std::move(out_);
  }

private:
  void indent(int depth) { out_.append(2 * depth, ' '); }

  void tensor(const Tensor &tensor) {
    if (!hasNaN(tensor) && isSplat(tensor)) {
      out_ += "dense<" + tensor.type().str() + " " + elementText(tensor, 0) + ">";
      return;
    }
    if (options_.elideAbove >= 0 && tensor.numElements() > options_.elideAbove) {
      out_ += "elided<" + tensor.type().str() + ">";
      ++elided_;
      return;
    }
    out_ += "dense<" + tensor.type().str() + " ";
    if (tensor.numElements() > options_.maxListElements || hasNaN(tensor)) {
      static const char *hex = "0123456789ABCDEF";
      out_ += "0x";
      for (uint8_t byte : tensor.bytes()) {
        out_ += hex[byte >> 4];
        out_ += hex[byte & 15];
      }
    } else {
      out_ += "[";
      for (int64_t i = 0; i < tensor.numElements(); ++i)
        out_ += (i ? ", " : "") + elementText(tensor, i);
      out_ += "]";
    }
    out_ += ">";
  }

  /// Prints `(%a: type, ...) [-> ("name", ...)] {\n body }` for a graph at
  /// `depth`. A top-level graph's result names (its interface) are printed
  /// when the returned values' names do not imply them (a pass replaced the
  /// value behind an output, one value is returned twice, an output returns
  /// an input or a value the text leaves anonymous). A nested graph's
  /// results are named by its node's results, so it prints none.
  void graph(const Graph &graph, int depth) {
    Names names;
    std::string head = "(";
    for (size_t i = 0; i < graph.numInputs(); ++i) {
      const Value *input = graph.input(i);
      head += (i ? ", " : "") + names.define(input, /*keepDigits=*/true) + ": " +
              input->type().str();
    }
    head += ")";
    std::string outer = std::move(out_);
    out_.clear();
    for (const auto &node : graph.nodes())
      this->node(*node, names, depth + 1);
    indent(depth + 1);
    out_ += "return";
    bool implied = true;
    for (size_t i = 0; i < graph.outputs().size(); ++i) {
      out_ += (i ? ", " : " ") + names.use(graph.outputs()[i]);
      implied = implied && names.parsedName(graph.outputs()[i]) == graph.outputName(i);
    }
    out_ += "\n";
    indent(depth);
    out_ += "}";
    if (!implied && depth == 0) {
      head += " -> (";
      for (size_t i = 0; i < graph.outputNames().size(); ++i)
        head += (i ? ", " : "") + quote(graph.outputName(i));
      head += ")";
    }
    out_ = std::move(outer) + head + " {\n" + out_;
  }

  /// Printed value names of one graph.
  class Names {
  public:
    /// Names `value` in this graph. A name of digits alone prints as an
    /// anonymous number, except a graph input's (keepDigits: part of the
    /// interface), which prints quoted.
    std::string define(const Value *value, bool keepDigits = false) {
      std::string name;
      const std::string &given = value->name();
      bool digits = isAllDigits(given);
      if (!given.empty() && (!digits || keepDigits)) {
        name = given;
        for (int suffix = 1; used_.count(name); ++suffix)
          name = given + "." + std::to_string(suffix);
      } else {
        do
          name = std::to_string(next_++);
        while (used_.count(name));
      }
      used_.insert(name);
      bool quoted = digits && keepDigits && isAllDigits(name);
      std::string text = "%" + (quoted ? quote(name) : symbolText(name));
      printed_[value] = text;
      parsed_[value] = isAllDigits(name) && !quoted ? "" : name;
      return text;
    }
    std::string use(const Value *value) const {
      auto it = printed_.find(value);
      // A value from outside this graph (malformed IR) prints visibly wrong
      // instead of aborting, so dumps of broken IR stay possible.
      return it == printed_.end() ? "%<<outside>>" : it->second;
    }
    /// The name the parser gives `value` when it reads the printed text.
    std::string parsedName(const Value *value) const {
      auto it = parsed_.find(value);
      return it == parsed_.end() ? "" : it->second;
    }

  private:
    std::map<const Value *, std::string> printed_, parsed_;
    std::set<std::string> used_;
    int next_ = 0;
  };

  void node(const Node &node, Names &names, int depth) {
    indent(depth);
    std::string head;
    // Results are defined after operands are rendered: a node cannot use
    // its own results, and printing uses before definitions keeps any
    // (invalid) self-use visibly distinct.
    std::string operands;
    for (size_t i = 0; i < node.numOperands(); ++i)
      operands += (i ? ", " : "") + names.use(node.operand(i));
    std::string captures;
    for (size_t i = 0; i < node.captures().size(); ++i)
      captures += (i ? ", " : "") + names.use(node.captures()[i]);
    for (size_t i = 0; i < node.numResults(); ++i)
      head += (i ? ", " : "") + names.define(node.result(i));
    if (node.numResults())
      out_ += head + " = ";
    out_ += std::string(node.opName()) + "(" + operands + ")";
    if (!node.captures().empty())
      out_ += " captures(" + captures + ")";
    if (!node.attrs().empty())
      attrs(node, depth);
    out_ += " :";
    if (node.numResults() == 0)
      out_ += " ()";
    for (size_t i = 0; i < node.numResults(); ++i)
      out_ += (i ? ", " : " ") + node.result(i)->type().str();
    out_ += "\n";
  }

  void attrs(const Node &node, int depth) {
    bool multiline = !node.regions().empty();
    out_ += multiline ? " {\n" : " {";
    bool first = true;
    for (const auto &[name, value] : node.attrs()) {
      if (!first)
        out_ += multiline ? ",\n" : ", ";
      first = false;
      if (multiline)
        indent(depth + 1);
      out_ += symbolText(name) + " = ";
      attribute(value, depth + 1);
    }
    if (multiline) {
      out_ += "\n";
      indent(depth);
    }
    out_ += "}";
  }

  void attribute(const Attribute &value, int depth) {
    switch (value.kind()) {
    case AttrKind::Int: out_ += std::to_string(value.getInt()); return;
    case AttrKind::Float: out_ += shortest(value.getFloat()); return;
    case AttrKind::String: out_ += quote(value.getString()); return;
    case AttrKind::Ints: {
      out_ += "[";
      for (size_t i = 0; i < value.getInts().size(); ++i)
        out_ += (i ? ", " : "") + std::to_string(value.getInts()[i]);
      out_ += "]";
      return;
    }
    case AttrKind::Floats: {
      if (value.getFloats().empty()) {
        out_ += "f64[]";
        return;
      }
      out_ += "[";
      for (size_t i = 0; i < value.getFloats().size(); ++i)
        out_ += (i ? ", " : "") + shortest(value.getFloats()[i]);
      out_ += "]";
      return;
    }
    case AttrKind::Tensor: tensor(value.getTensor()); return;
    case AttrKind::Graph:
      out_ += "graph";
      graph(value.getGraph(), depth);
      return;
    }
  }

  const PrintOptions &options_;
  std::string out_;
  int64_t elided_ = 0;
};

} // namespace

std::string formatFloat(double value) { return shortest(value); }
std::string formatFloat(float value) { return shortest(value); }

std::string printModule(const Module &module, const PrintOptions &options) {
  return Printer(options).module(module);
}

} // namespace dlc
