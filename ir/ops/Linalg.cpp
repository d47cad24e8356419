//===- Linalg.cpp - matmul and gemm --------------------------------------===//

#include "ir/OpRegistry.h"
#include "ir/ops/Families.h"
#include "ir/ops/Kernels.h"

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
  if (!ctx.operandsRanked()) {
    ctx.addResult(TensorType::unranked(dtype));
    return success();
  }
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
  if (!ctx.operandsRanked()) {
    ctx.addResult(TensorType::unranked(dtype));
    return success();
  }
  const TensorType &a = ctx.operandType(0), &b = ctx.operandType(1);
  if (a.rank() != 2 || b.rank() != 2)
    return ctx.error("operands must be 2-D, got " + a.str() + " and " +
                     b.str());
  bool transA = ctx.intAttr("trans_a", 0), transB = ctx.intAttr("trans_b", 0);
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

LogicalResult evalMatmul(EvalContext &ctx) {
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  Shape as = shapeOf(a), bs = shapeOf(b);
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return ctx.error("contraction dims differ at run time");
  Shape batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  Shape batch = shapeOf(TensorType(
      a.dtype(), *broadcastDims(typeOf(a.dtype(), batchA).dims(),
                                typeOf(a.dtype(), batchB).dims())));
  Shape stridesA = broadcastStrides(batchA, batch);
  Shape stridesB = broadcastStrides(batchB, batch);
  bool useFloat = floatMath(a.dtype());
  int64_t outBase = 0;
  forEachIndex(batch, [&](const Shape &index) {
    int64_t baseA = offsetOf(index, stridesA) * m * k;
    int64_t baseB = offsetOf(index, stridesB) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        int64_t isum = 0;
        for (int64_t p = 0; p < k; ++p) {
          if (useFloat)
            sum += a.getDouble(baseA + i * k + p) * b.getDouble(baseB + p * n + j);
          else
            isum += a.getInt(baseA + i * k + p) * b.getInt(baseB + p * n + j);
        }
        if (useFloat)
          out->setDouble(outBase + i * n + j, sum);
        else
          out->setInt(outBase + i * n + j, isum);
      }
    outBase += m * n;
  });
  return success();
}

LogicalResult evalGemm(EvalContext &ctx) {
  const Tensor &a = ctx.input(0), &b = ctx.input(1);
  Tensor *out = ctx.addInferredOutput();
  if (!out)
    return failure();
  bool transA = ctx.intAttr("trans_a", 0), transB = ctx.intAttr("trans_b", 0);
  double alpha = ctx.floatAttr("alpha", 1.0), beta = ctx.floatAttr("beta", 1.0);
  Shape as = shapeOf(a), bs = shapeOf(b), os = shapeOf(*out);
  int64_t m = os[0], n = os[1], k = transA ? as[0] : as[1];
  if ((transB ? bs[1] : bs[0]) != k)
    return ctx.error("contraction dims differ at run time");
  Shape cStrides;
  if (ctx.numOperands() == 3)
    cStrides = broadcastStrides(shapeOf(ctx.input(2)), os);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += a.getDouble(transA ? p * m + i : i * k + p) *
               b.getDouble(transB ? j * k + p : p * n + j);
      sum *= alpha;
      if (ctx.numOperands() == 3)
        sum += beta * ctx.input(2).getDouble(offsetOf({i, j}, cStrides));
      out->setDouble(i * n + j, sum);
    }
  return success();
}

} // namespace

void registerLinalgOps(OpRegistry &registry) {
  registry.add({"matmul", "linalg", 2, 2, {}, inferMatmul, evalMatmul});
  registry.add({"gemm", "linalg", 2, 3,
                {{"alpha", AttrKind::Float},
                 {"beta", AttrKind::Float},
                 {"trans_a", AttrKind::Int},
                 {"trans_b", AttrKind::Int}},
                inferGemm, evalGemm});
}

} // namespace dlc
