//===- Linalg.h - Reference kernels of matmul and gemm ---------*- C++ -*-===//
//
// numpy/ONNX matmul (1-D operands promoted, batch dims broadcast) and ONNX
// Gemm. Floats accumulate in double, integers in int64 (wrapping).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_LINALG_H
#define DLRT_KERNELS_LINALG_H

#include "kernels/ElementType.h"

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

struct GemmParams {
  bool transA = false, transB = false;
  double alpha = 1, beta = 1;
  template <typename V> void fields(V &v) { v(transA)(transB)(alpha)(beta); }
};

/// out = alpha * op(a) @ op(b) + beta * c, with 2-D a and b and c (optional:
/// null data) broadcast to out.
Status gemm(const GemmParams &params, const BufferView &a, const BufferView &b,
            const BufferView &c, const BufferView &out);

struct EinsumParams {
  /// One label per dim of each operand and of the output (ellipsis dims
  /// already given labels by the caller).
  std::vector<std::string> inputs;
  std::string output;
  template <typename V> void fields(V &v) { v(inputs)(output); }
};

/// out = the sum over all labels not in the output of the products of the
/// operands; a dim of size 1 broadcasts.
Status einsum(const EinsumParams &params, const std::vector<BufferView> &inputs,
              const BufferView &out);

/// out = the determinant of each trailing square matrix of x (LU with
/// partial pivoting in double).
Status det(const BufferView &x, const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_LINALG_H
