//===- Ops.cpp - The table of op entry points -----------------------------===//

#include "ops/Ops.h"

#include "ops/Family.h"

#include <algorithm>

namespace dlrt::ops {

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
