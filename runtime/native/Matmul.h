//===- Matmul.h - The f32 matmul dispatch policy ----------------*- C++ -*-===//
//
// Between the Halide adapter (native/Ukernels.h) and the kernels: one
// product of strided matrices, spread over the session's pool, computed by
// dlc's microkernel (native/Gemm.h) or OpenBLAS's sgemm as measured on this
// CPU (native/KernelChoice.h), a constant B packed once. OpenBLAS runs one
// thread per call (it is loaded with OPENBLAS_NUM_THREADS=1): one pool,
// `--threads` honoured.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_MATMUL_H
#define DLRT_NATIVE_MATMUL_H

#include "native/Gemm.h"
#include "native/KernelChoice.h"

#include <cstdint>
#include <string>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::native {

/// c(i, j) = epilogue(sum_k a(i, k) * b(k, j)), i < m, j < n, k < depth,
/// x(r, s) = x[r*rowStride + s*colStride]; c's rows are dense.
struct MatmulOperands {
  int64_t m = 0, n = 0, depth = 0;
  const float *a = nullptr;
  int64_t aRowStride = 0, aColStride = 1;
  const float *b = nullptr;
  int64_t bRowStride = 0, bColStride = 1;
  float *c = nullptr;
  int64_t ldc = 0;
  /// b is a weight: its memory and contents stay as they are until
  /// forgetConstants() names them, so its packing is made once and reused
  /// by every later product that reads it the same way.
  bool constantB = false;
  MatmulEpilogue epilogue;
};

/// Computes `p` over `pool` (null: this thread). False with `error` set on
/// operands no kernel can read or memory that cannot be had.
bool matmulF32(const MatmulOperands &p, ThreadPool *pool, std::string &error);

/// The kernel choice for this process: DLC_GEMM=own|openblas, else the
/// one measured on this CPU (or read from dlc's cache), measured the first
/// time a product large enough for it to matter runs (or this is called).
const GemmChoice &gemmChoice();

/// Drops the packings of constant operands in [begin, end) (their owner
/// frees them: the memory may hold other values next).
void forgetConstants(const void *begin, const void *end);

} // namespace dlrt::native

#endif // DLRT_NATIVE_MATMUL_H
