//===- Interpreter.cpp - Reference execution of IR graphs ----------------===//

#include "ir/Interpreter.h"

#include "ir/Check.h"
#include "ir/ops/Kernels.h"

#include <map>
#include <unordered_map>

namespace dlc {

Tensor *EvalContext::addOutput(const TensorType &type) {
  std::optional<int64_t> bytes = Tensor::payloadBytes(type);
  if (!bytes) {
    (void)error(type.isStatic()
                    ? "result " + type.str() + " exceeds the " +
                          std::to_string(kMaxTensorBytes >> 30) +
                          " GiB tensor limit"
                    : "cannot allocate a result of non-static type " +
                          type.str());
    return nullptr;
  }
  auto tensor = std::make_shared<Tensor>(type);
  Tensor *raw = tensor.get();
  outputs_.push_back(std::move(tensor));
  return raw;
}

dlrt::ThreadPool *Interpreter::pool() {
  if (options_.threads == 1)
    return nullptr;
  if (!pool_)
    pool_ = std::make_unique<dlrt::ThreadPool>(options_.threads);
  return pool_.get();
}

LogicalResult Interpreter::checkInputs(const Graph &graph,
                                       const std::vector<TensorRef> &inputs) {
  std::string where = graph.name().empty() ? "graph" : "graph @" + graph.name();
  if (inputs.size() != graph.numInputs())
    return diag_.error({}, where + " takes " +
                               std::to_string(graph.numInputs()) +
                               " inputs, got " + std::to_string(inputs.size()));
  // Symbols are bound by the first input dim that is exactly the symbol;
  // dims that are expressions (`N+1`) are checked once their symbols are.
  std::map<std::string, int64_t, std::less<>> symbols;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Value *input = graph.input(i);
      const TensorType &declared = input->type();
      const TensorType &actual = inputs[i]->type();
      std::string name = input->name().empty() ? "input " + std::to_string(i)
                                               : "input '" + input->name() + "'";
      auto mismatch = [&](const std::string &what) {
        return diag_.error({}, name + " of " + where + ": " + what +
                                   " (expected " + declared.str() + ", got " +
                                   actual.str() + ")");
      };
      if (pass == 0 && declared.dtype() != actual.dtype())
        return mismatch("wrong dtype");
      if (!declared.hasRank())
        continue;
      if (pass == 0 && declared.rank() != actual.rank())
        return mismatch("wrong rank");
      for (int64_t d = 0; d < declared.rank(); ++d) {
        const Dim &dim = declared.dim(d);
        int64_t size = actual.dim(d).size();
        if (pass == 0 && dim.isStatic() && dim.size() != size)
          return mismatch("wrong size of dim " + std::to_string(d));
        if (pass == 0 && dim.isSymbol()) {
          auto [it, inserted] = symbols.emplace(dim.name(), size);
          if (!inserted && it->second != size)
            return mismatch("dim " + std::to_string(d) + " is " + dim.name() +
                            ", which an earlier input bound to " +
                            std::to_string(it->second));
        }
        if (pass == 1 && dim.isSymbolic() && !dim.isSymbol()) {
          std::optional<int64_t> expected = dim.expr().evaluate(symbols);
          if (expected && *expected != size)
            return mismatch("dim " + std::to_string(d) + " is " + dim.str() +
                            " = " + std::to_string(*expected));
        }
      }
    }
  }
  return success();
}

std::optional<std::vector<TensorRef>>
Interpreter::run(const Graph &graph, const std::vector<TensorRef> &inputs) {
  if (failed(checkInputs(graph, inputs)))
    return std::nullopt;
  return runGraph(graph, inputs);
}

std::optional<std::vector<TensorRef>>
Interpreter::runNode(const Node &node, const std::vector<TensorRef> &operands,
                     std::vector<TensorRef> captures) {
  std::vector<const Tensor *> raw;
  for (const TensorRef &operand : operands)
    raw.push_back(operand.get());
  std::vector<TensorType> inferred;
  if (!node.def().hasRegions()) {
    InferContext infer(node, diag_, &raw);
    if (failed(node.def().infer(infer)))
      return std::nullopt;
    inferred = std::move(infer.results());
  }
  EvalContext ctx(node, diag_, raw, operands, std::move(captures),
                  std::move(inferred), *this);
  if (failed(node.def().run.lower ? evalLowered(ctx) : node.def().run.eval(ctx)))
    return std::nullopt;
  DLC_CHECK(ctx.outputs().size() == node.numResults(),
            "reference kernel produced the wrong number of results");
  for (size_t i = 0; i < node.numResults(); ++i) {
    const TensorType &declared = node.result(i)->type();
    const TensorType &actual = ctx.outputs()[i]->type();
    if (!declared.admits(actual)) {
      (void)ctx.error("result " + std::to_string(i) + " is " + actual.str() +
                      " at run time, but declared " + declared.str());
      return std::nullopt;
    }
  }
  return std::move(ctx.outputs());
}

std::optional<std::vector<TensorRef>>
Interpreter::runGraph(const Graph &graph,
                      const std::vector<TensorRef> &inputs) {
  DLC_CHECK(inputs.size() == graph.numInputs(), "runGraph: input count");
  // Each value is dropped after its last use, so peak memory is the live
  // set, not every intermediate of the graph.
  std::unordered_map<const Value *, const Node *> lastUse;
  for (const auto &node : graph.nodes()) {
    for (const Value *operand : node->operands())
      lastUse[operand] = node.get();
    for (const Value *capture : node->captures())
      lastUse[capture] = node.get();
  }
  for (const Value *output : graph.outputs())
    lastUse[output] = nullptr; // live to the end
  std::unordered_map<const Value *, TensorRef> values;
  for (size_t i = 0; i < inputs.size(); ++i)
    values[graph.input(i)] = inputs[i];
  auto lookup = [&](const Value *value) -> const TensorRef & {
    auto it = values.find(value);
    DLC_CHECK(it != values.end(), "interpreter: value used before definition "
                                  "(unverified IR)");
    return it->second;
  };

  for (const auto &owned : graph.nodes()) {
    const Node &node = *owned;
    std::vector<TensorRef> operands, captures;
    for (const Value *operand : node.operands())
      operands.push_back(lookup(operand));
    for (const Value *capture : node.captures())
      captures.push_back(lookup(capture));
    std::optional<std::vector<TensorRef>> results =
        runNode(node, operands, std::move(captures));
    if (!results)
      return std::nullopt;
    if (options_.observer)
      options_.observer(node, operands, *results);
    for (size_t i = 0; i < node.numResults(); ++i)
      if (lastUse.count(node.result(i)))
        values[node.result(i)] = (*results)[i];
    auto release = [&](const Value *value) {
      auto use = lastUse.find(value);
      if (use != lastUse.end() && use->second == &node)
        values.erase(value);
    };
    for (const Value *operand : node.operands())
      release(operand);
    for (const Value *capture : node.captures())
      release(capture);
  }
  std::vector<TensorRef> outputs;
  for (const Value *output : graph.outputs())
    outputs.push_back(lookup(output));
  return outputs;
}

} // namespace dlc
