//===- Linalg.cpp - Entry points of matmul, gemm, einsum, det -------------===//

#include "ops/Family.h"

#include "kernels/Linalg.h"

namespace dlrt::ops {
namespace {

Status runMatmul(const OpArgs &args) {
  return kernels::matmul(args.operand(0), args.operand(1), args.result(0), args.pool);
}

Status runGemm(const OpArgs &args) {
  return withParams<kernels::GemmParams>(args, "gemm", [&](const auto &p) {
    return kernels::gemm(p, args.operand(0), args.operand(1), args.optional(2), args.result(0));
  });
}

Status runEinsum(const OpArgs &args) {
  return withParams<kernels::EinsumParams>(args, "einsum", [&](const auto &p) {
    return kernels::einsum(p, std::vector<BufferView>(args.operands,
                                                      args.operands + args.numOperands),
                           args.result(0));
  });
}

Status runDet(const OpArgs &args) { return kernels::det(args.operand(0), args.result(0)); }

Status matmulDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims.assign(1, {});
  return kernels::matmulDims(args.operand(0), args.operand(1), dims[0]);
}

Status gemmDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims.assign(1, {});
  return withParams<kernels::GemmParams>(args, "gemm", [&](const auto &p) {
    return kernels::gemmDims(p, args.operand(0), args.operand(1), dims[0]);
  });
}

Status einsumDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims.assign(1, {});
  return withParams<kernels::EinsumParams>(args, "einsum", [&](const auto &p) {
    return kernels::einsumDims(
        p, std::vector<BufferView>(args.operands, args.operands + args.numOperands), dims[0]);
  });
}

Status detDims(const OpArgs &args, std::vector<Dims> &dims) {
  dims.assign(1, {});
  return kernels::detDims(args.operand(0), dims[0]);
}

} // namespace

void addLinalgKernels(std::vector<OpKernel> &table) {
  table.push_back({"matmul", {2, 2, 1, 1}, "T T -> T", runMatmul, matmulDims});
  table.push_back({"gemm", {2, 3, 1, 1}, "T T T -> T", runGemm, gemmDims});
  table.push_back({"einsum", {1, -1, 1, 1}, "*... -> *", runEinsum, einsumDims});
  table.push_back({"det", {1, 1, 1, 1}, "* -> *", runDet, detDims});
}

} // namespace dlrt::ops
