//===- Linalg.cpp - matmul and gemm --------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"
#include "kernels/Linalg.h"

#include <cmath>
#include <map>
#include <memory>

namespace dlc {
namespace {

using namespace kernels;

/// The contraction dims must agree where both are static; symbolic and
/// unknown dims are checked at run time.
LogicalResult checkContraction(InferContext &ctx, const Dim &k1,
                               const Dim &k2) {
  if (k1.isStatic() && k2.isStatic() && k1.size() != k2.size())
    return ctx.error("contraction dims differ: " + ctx.operandType(0).str() +
                     " and " + ctx.operandType(1).str());
  return success();
}

// Numpy matmul: 1-D operands are promoted (and the added dim removed from the
// result); batch dims broadcast.
LogicalResult inferMatmul(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kNumericTypes)))
    return failure();
  DType dtype = ctx.operandType(0).dtype();
  if (ctx.unrankedResults({dtype}))
    return success();
  std::vector<Dim> a = ctx.operandType(0).dims();
  std::vector<Dim> b = ctx.operandType(1).dims();
  if (a.empty() || b.empty())
    return ctx.error("operands must have rank >= 1, got " +
                     ctx.operandType(0).str() + " and " +
                     ctx.operandType(1).str());
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA)
    a.insert(a.begin(), Dim(1));
  if (vecB)
    b.push_back(Dim(1));
  if (failed(checkContraction(ctx, a.back(), b[b.size() - 2])))
    return failure();
  std::optional<std::vector<Dim>> batch =
      broadcastDims(std::vector<Dim>(a.begin(), a.end() - 2),
                    std::vector<Dim>(b.begin(), b.end() - 2));
  if (!batch)
    return ctx.error("batch dims do not broadcast: " +
                     ctx.operandType(0).str() + " and " +
                     ctx.operandType(1).str());
  std::vector<Dim> dims = *batch;
  if (!vecA)
    dims.push_back(a[a.size() - 2]);
  if (!vecB)
    dims.push_back(b.back());
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

// gemm(a, b, [c]) = alpha * op(a) * op(b) + beta * c, with 2-D a and b and c
// broadcastable to the result.
LogicalResult inferGemm(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kNumericTypes)))
    return failure();
  DType dtype = ctx.operandType(0).dtype();
  if (ctx.unrankedResults({dtype}))
    return success();
  const TensorType &a = ctx.operandType(0), &b = ctx.operandType(1);
  if (a.rank() != 2 || b.rank() != 2)
    return ctx.error("operands must be 2-D, got " + a.str() + " and " +
                     b.str());
  bool transA = ctx.intAttr("trans_a"), transB = ctx.intAttr("trans_b");
  Dim m = a.dim(transA ? 1 : 0), k1 = a.dim(transA ? 0 : 1);
  Dim k2 = b.dim(transB ? 1 : 0), n = b.dim(transB ? 0 : 1);
  if (failed(checkContraction(ctx, k1, k2)))
    return failure();
  std::vector<Dim> dims = {m, n};
  if (ctx.numOperands() == 3) {
    std::optional<std::vector<Dim>> withC =
        broadcastDims(dims, ctx.operandType(2).dims());
    if (!withC || withC->size() != 2)
      return ctx.error("operand 2 " + ctx.operandType(2).str() +
                       " does not broadcast to the result " +
                       TensorType(dtype, dims).str());
  }
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

LogicalResult inferEinsum(InferContext &ctx) {
  if (failed(ctx.expectUniformDType(kNumericTypes)))
    return failure();
  DType dtype = ctx.operandType(0).dtype();
  if (ctx.unrankedResults({dtype}))
    return success();
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < ctx.numOperands(); ++i)
    ranks.push_back(ctx.operandType(i).rank());
  std::string error;
  std::optional<dlrt::kernels::EinsumLabels> einsum =
      dlrt::kernels::parseEinsum(ctx.stringAttr("equation"), ranks, error);
  if (!einsum)
    return ctx.error(error);
  std::map<char, Dim> sizes;
  for (size_t i = 0; i < einsum->inputs.size(); ++i)
    for (size_t d = 0; d < einsum->inputs[i].size(); ++d) {
      char label = einsum->inputs[i][d];
      const Dim &dim = ctx.operandType(i).dim(d);
      auto [it, inserted] = sizes.emplace(label, dim);
      if (inserted || it->second == dim || (dim.isStatic() && dim.size() == 1))
        continue;
      if (it->second.isStatic() && it->second.size() == 1)
        it->second = dim;
      else if (it->second.isStatic() && dim.isStatic())
        return ctx.error("label '" + std::string(1, label) + "' has sizes " +
                         it->second.str() + " and " + dim.str());
      else
        it->second = Dim::unknown();
    }
  std::vector<Dim> dims;
  for (char label : einsum->output) {
    auto it = sizes.find(label);
    if (it == sizes.end())
      return ctx.error("output label '" + std::string(1, label) +
                       "' appears in no input");
    dims.push_back(it->second);
  }
  ctx.addResult(TensorType(dtype, std::move(dims)));
  return success();
}

// Sums the product of the operands over every assignment of the labels
// that are not in the output; the runtime reads the equation for the
// operands' ranks (an ellipsis covers dims known only when it runs).
LogicalResult lowerEinsum(const InferContext &ctx, dlrt::ops::LoweredOp &op) {
  return lowerTo(op, "einsum", dlrt::kernels::EinsumParams{ctx.stringAttr("equation")});
}

// det(x[..., n, n]): determinants by Gaussian elimination with partial
// pivoting.
LogicalResult inferDet(InferContext &ctx) {
  if (failed(ctx.expectDType(0, kFloatTypes)))
    return failure();
  const TensorType &x = ctx.operandType(0);
  if (!x.hasRank()) {
    ctx.addResult(x);
    return success();
  }
  if (x.rank() < 2 || !x.dim(x.rank() - 1).compatibleWith(x.dim(x.rank() - 2)))
    return ctx.error("expects square matrices [..., n, n], got " + x.str());
  ctx.addResult(TensorType(x.dtype(), std::vector<Dim>(x.dims().begin(), x.dims().end() - 2)));
  return success();
}

} // namespace

void registerLinalgOps(OpRegistry &registry) {
  using dlrt::ops::LoweredOp;
  registry.add({"matmul", "linalg", 2, 2, {}, inferMatmul,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "matmul"); }});
  registry.add({"det", "linalg", 1, 1, {}, inferDet,
                [](const InferContext &, LoweredOp &o) { return lowerTo(o, "det"); }});
  registry.add({"einsum", "linalg", 1, kVariadic,
                {{"equation", AttrKind::String, true}}, inferEinsum, lowerEinsum});
  registry.add({"gemm", "linalg", 2, 3,
                {{"alpha", AttrKind::Float, false, 1.0},
                 {"beta", AttrKind::Float, false, 1.0},
                 {"trans_a", AttrKind::Int, false, 0},
                 {"trans_b", AttrKind::Int, false, 0}},
                inferGemm, [](const InferContext &c, LoweredOp &o) {
                  return lowerTo(o, "gemm",
                                 dlrt::kernels::GemmParams{c.intAttr("trans_a") != 0,
                                                           c.intAttr("trans_b") != 0,
                                                           c.floatAttr("alpha"),
                                                           c.floatAttr("beta")});
                }});
}

} // namespace dlc
