//===- Profile.cpp - What the model does on sample inputs -----------------===//
//
// `dlc compile --profile-inputs DIR` runs this pass after canonicalize: the
// entry graph runs on each sample input set with the reference interpreter,
// observed node by node, and PassContext::profile records
//  - per named float or bool value, how many of its elements were zero
//    (gates: which experts a token really used, which samples a select
//    took),
//  - per `if`, how often each branch ran,
//  - per data-decided size (nonzero, unique, ...: the rows routed to an
//    expert), its smallest, largest and mean value,
// with an analysis remark per branch and size (`--remarks`). The rewrites
// after it consult the profile where a static proof is missing or
// profitability depends on the data (moe-sparsify routes gates the runs
// saw mostly zero; branch-batch leaves a select whose work every sample
// took). Values are matched by name, as this pass saw them.
//
//===----------------------------------------------------------------------===//

#include "ir/Interpreter.h"
#include "ir/OpRegistry.h"
#include "passes/Passes.h"

#include <algorithm>
#include <sstream>

namespace dlc {

std::optional<double> Profile::zeroFraction(const Value &value) const {
  auto it = values.find(value.name());
  if (value.name().empty() || it == values.end() || it->second.elements == 0)
    return std::nullopt;
  return double(it->second.zeros) / double(it->second.elements);
}

namespace {

constexpr std::string_view kPass = "profile";

void record(Profile &profile, const Node &node, const std::vector<TensorRef> &operands,
            const std::vector<TensorRef> &results) {
  for (size_t i = 0; i < node.numResults(); ++i) {
    const std::string &name = node.result(i)->name();
    const Tensor &tensor = *results[i];
    DType dtype = tensor.dtype();
    if (name.empty() || !(isFloat(dtype) || dtype == DType::Bool))
      continue;
    Profile::Counts &counts = profile.values[name];
    counts.elements += tensor.numElements();
    for (int64_t e = 0; e < tensor.numElements(); ++e)
      counts.zeros += tensor.getDouble(e) == 0.0;
  }
  if (node.is(OpId::If) && node.numResults() > 0 && !operands.empty()) {
    Profile::Branches &branches = profile.branches[node.result(0)->name()];
    (operands[0]->getDouble(0) != 0.0 ? branches.then : branches.otherwise) += 1;
  }
  if (node.def().has(OpTrait::DataDependentShape) && node.numResults() > 0 &&
      results[0]->type().hasRank() && results[0]->type().rank() > 0) {
    Profile::Sizes &sizes = profile.sizes[node.result(0)->name()];
    int64_t size = results[0]->type().dims().back().size();
    sizes.runs += 1;
    sizes.min = std::min(sizes.min, size);
    sizes.max = std::max(sizes.max, size);
    sizes.sum += size;
  }
}

} // namespace

LogicalResult profile(Module &module, PassContext &context) {
  if (context.profileInputs.empty())
    return success();
  Graph *entry = module.graph("main");
  if (!entry && !module.graphs().empty())
    entry = module.graphs().front().get();
  if (!entry)
    return success();
  Profile &profile = context.profile;
  InterpreterOptions options;
  options.observer = [&](const Node &node, const std::vector<TensorRef> &operands,
                         const std::vector<TensorRef> &results) {
    record(profile, node, operands, results);
  };
  Interpreter interpreter(context.diag, options);
  for (size_t run = 0; run < context.profileInputs.size(); ++run) {
    const auto &named = context.profileInputs[run];
    std::vector<TensorRef> inputs;
    for (const auto &input : entry->inputs()) {
      auto it = named.find(input->name());
      if (it == named.end())
        return context.diag.error({}, "profile input set " + std::to_string(run + 1) +
                                          " has no input '" + input->name() + "'");
      inputs.push_back(it->second);
    }
    if (!interpreter.run(*entry, inputs))
      return context.diag.error({}, "the model failed on profile input set " +
                                        std::to_string(run + 1));
    ++profile.runs;
  }
  auto locationOf = [&](const std::string &name) {
    Location location;
    entry->walk([&](Node &node) {
      if (node.numResults() > 0 && node.result(0)->name() == name)
        location = node.location();
    });
    return location;
  };
  for (const auto &[name, branches] : profile.branches)
    context.remark(kPass, Remark::Kind::Analysis, locationOf(name),
                   "then branch in " + std::to_string(branches.then) + " of " +
                       std::to_string(branches.then + branches.otherwise) + " runs");
  for (const auto &[name, sizes] : profile.sizes) {
    std::ostringstream mean;
    mean.precision(3);
    mean << double(sizes.sum) / double(sizes.runs);
    context.remark(kPass, Remark::Kind::Analysis, locationOf(name),
                   "size " + std::to_string(sizes.min) + ".." + std::to_string(sizes.max) +
                       " (mean " + mean.str() + ") over " + std::to_string(sizes.runs) +
                       " runs");
  }
  return success();
}

} // namespace dlc
