//===- Ops.cpp - The table of op entry points -----------------------------===//

#include "ops/Ops.h"

#include "ops/Family.h"

#include <algorithm>
#include <map>
#include <string>

namespace dlrt::ops {
namespace {

using kernels::ElementType;

/// The whitespace-separated terms of one side of a signature.
std::vector<std::string_view> termsOf(std::string_view side) {
  std::vector<std::string_view> terms;
  size_t at = 0;
  while (at < side.size()) {
    size_t begin = side.find_first_not_of(' ', at);
    if (begin == std::string_view::npos)
      break;
    size_t end = std::min(side.find(' ', begin), side.size());
    terms.push_back(side.substr(begin, end - begin));
    at = end;
  }
  return terms;
}

} // namespace

Status checkTypes(const OpKernel &kernel, const std::vector<ElementType> &operands,
                  const std::vector<ElementType> &results) {
  size_t arrow = kernel.types.find("->");
  if (arrow == std::string_view::npos)
    return Status::error("'" + std::string(kernel.name) + "' has no type signature");
  std::map<char, ElementType> bound;
  auto side = [&](std::string_view text, const std::vector<ElementType> &types,
                  const char *what) -> Status {
    std::vector<std::string_view> terms = termsOf(text);
    for (size_t i = 0; i < types.size(); ++i) {
      std::string_view term;
      if (i < terms.size())
        term = terms[i];
      else if (!terms.empty() && terms.back().size() > 1 && terms.back().substr(1) == "...")
        term = terms.back();
      else
        break;
      char letter = term[0];
      bool ok = true;
      if (letter == 'L')
        ok = types[i] == ElementType::I64;
      else if (letter != '*')
        ok = bound.emplace(letter, types[i]).first->second == types[i];
      if (!ok)
        return Status::error("'" + std::string(kernel.name) + "' does not take " + what + " " +
                             std::to_string(i) + " of type " + elementTypeName(types[i]) +
                             " (its types: " + std::string(kernel.types) + ")");
    }
    return Status::ok();
  };
  Status status = side(kernel.types.substr(0, arrow), operands, "operand");
  return status.isOk() ? side(kernel.types.substr(arrow + 2), results, "result") : status;
}

const std::vector<OpKernel> &allOpKernels() {
  static const std::vector<OpKernel> table = [] {
    std::vector<OpKernel> kernels;
    addElementwiseKernels(kernels);
    addLinalgKernels(kernels);
    addNormalizationKernels(kernels);
    addReductionKernels(kernels);
    addShapeKernels(kernels);
    addIndexingKernels(kernels);
    addConvKernels(kernels);
    addRecurrentKernels(kernels);
    addGenerationKernels(kernels);
    addImageKernels(kernels);
    addSignalKernels(kernels);
    std::sort(kernels.begin(), kernels.end(),
              [](const OpKernel &a, const OpKernel &b) { return a.name < b.name; });
    return kernels;
  }();
  return table;
}

const OpKernel *findOpKernel(std::string_view name) {
  const std::vector<OpKernel> &table = allOpKernels();
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const OpKernel &k, std::string_view n) { return k.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

} // namespace dlrt::ops
