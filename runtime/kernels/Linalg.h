//===- Linalg.h - Reference kernels of matmul and gemm ---------*- C++ -*-===//
//
// numpy/ONNX matmul (1-D operands promoted, batch dims broadcast) and ONNX
// Gemm. Floats accumulate in double, integers in int64 (wrapping).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_LINALG_H
#define DLRT_KERNELS_LINALG_H

#include "kernels/ElementType.h"

#include <optional>
#include <string>
#include <vector>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::kernels {

/// out = a @ b; out's dims are the broadcast batch dims plus [m, n] (without
/// the dims a 1-D operand did not have). A contraction mismatch is an error.
/// Rows of out are computed in parallel on `pool` (optional).
Status matmul(const BufferView &a, const BufferView &b, const BufferView &out,
              ThreadPool *pool = nullptr);
/// The dims matmul's result has (the rule it checks `out` against).
Status matmulDims(const BufferView &a, const BufferView &b, std::vector<int64_t> &dims);

struct GemmParams {
  bool transA = false, transB = false;
  double alpha = 1, beta = 1;
  template <typename V> void fields(V &v) { v(transA)(transB)(alpha)(beta); }
};

/// out = alpha * op(a) @ op(b) + beta * c, with 2-D a and b and c (optional:
/// null data) broadcast to out.
Status gemm(const GemmParams &params, const BufferView &a, const BufferView &b,
            const BufferView &c, const BufferView &out);
Status gemmDims(const GemmParams &params, const BufferView &a, const BufferView &b,
                std::vector<int64_t> &dims);

struct EinsumParams {
  std::string equation; ///< as ONNX writes it ("bij,bjk->bik", "...ii->...i")
  template <typename V> void fields(V &v) { v(equation); }
};

/// An einsum equation read for operands of given ranks: one label per dim
/// of each operand and of the output. Ellipsis dims get the labels '0',
/// '1', ... (right-aligned across operands); without '->' the output is the
/// ellipsis dims, then the labels used once, alphabetically.
struct EinsumLabels {
  std::vector<std::string> inputs;
  std::string output;
};

/// Parses `equation` for operands of `ranks`; nullopt with `error` if bad.
std::optional<EinsumLabels> parseEinsum(const std::string &equation,
                                        const std::vector<int64_t> &ranks, std::string &error);

/// out = the sum over all labels not in the output of the products of the
/// operands; a dim of size 1 broadcasts.
Status einsum(const EinsumParams &params, const std::vector<BufferView> &inputs,
              const BufferView &out);
Status einsumDims(const EinsumParams &params, const std::vector<BufferView> &inputs,
                  std::vector<int64_t> &dims);

/// out = the determinant of each trailing square matrix of x (LU with
/// partial pivoting in double).
Status det(const BufferView &x, const BufferView &out);
Status detDims(const BufferView &x, std::vector<int64_t> &dims);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_LINALG_H
