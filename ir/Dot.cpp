//===- Dot.cpp - Graphviz rendering of a module ---------------------------===//

#include "ir/Dot.h"

#include <map>
#include <sstream>

namespace dlc {
namespace {

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

class DotPrinter {
public:
  std::string print(const Module &module) {
    out_ << "digraph dlc {\n  compound=true;\n  node [shape=box, fontname=\"monospace\"];\n";
    for (const auto &graph : module.graphs())
      printGraph(*graph, "@" + graph->name(), {});
    out_ << "}\n";
    return out_.str();
  }

private:
  std::string id(const void *object) {
    auto [it, inserted] = ids_.emplace(object, ids_.size());
    return "n" + std::to_string(it->second);
  }

  /// `outer[i]` feeds input i of `graph` (captures), if given.
  void printGraph(const Graph &graph, const std::string &label,
                  const std::vector<const Value *> &outer) {
    out_ << "subgraph cluster_" << id(&graph) << " {\n  label=\""
         << escape(label) << "\";\n";
    for (const auto &input : graph.inputs()) {
      out_ << "  " << id(input.get()) << " [shape=ellipse, label=\"%"
           << escape(input->name()) << "\\n" << escape(input->type().str())
           << "\"];\n";
    }
    for (const auto &node : graph.nodes()) {
      std::string types;
      for (size_t i = 0; i < node->numResults(); ++i)
        types += (i ? ", " : "") + node->result(i)->type().str();
      out_ << "  " << id(node.get()) << " [label=\"" << escape(std::string(node->opName()))
           << "\\n" << escape(types) << "\"];\n";
      for (size_t i = 0; i < node->numResults(); ++i)
        producer_[node->result(i)] = id(node.get());
      for (const auto &[name, attr] : node->attrs())
        if (attr.kind() == AttrKind::Graph) {
          std::vector<const Value *> captured;
          const Graph &region = attr.getGraph();
          for (size_t i = 0; i < region.numInputs(); ++i) {
            size_t first = region.numInputs() - node->captures().size();
            captured.push_back(i >= first ? node->captures()[i - first] : nullptr);
          }
          printGraph(region, name, captured);
        }
    }
    for (const auto &input : graph.inputs())
      producer_[input.get()] = id(input.get());
    for (size_t i = 0; i < outer.size(); ++i)
      if (outer[i])
        edges_ << "  " << source(outer[i]) << " -> " << id(graph.input(i))
               << " [style=dashed];\n";
    for (const auto &node : graph.nodes())
      for (const Value *operand : node->operands())
        edges_ << "  " << source(operand) << " -> " << id(node.get()) << ";\n";
    std::string ret = id(&graph) + "_return";
    out_ << "  " << ret << " [shape=plaintext, label=\"return\"];\n";
    for (const Value *output : graph.outputs())
      edges_ << "  " << source(output) << " -> " << ret << ";\n";
    out_ << edges_.str() << "}\n";
    edges_.str("");
  }

  std::string source(const Value *value) {
    auto it = producer_.find(value);
    return it != producer_.end() ? it->second : id(value);
  }

  std::ostringstream out_, edges_;
  std::map<const void *, size_t> ids_;
  std::map<const Value *, std::string> producer_;
};

} // namespace

std::string printDot(const Module &module) { return DotPrinter().print(module); }

} // namespace dlc
