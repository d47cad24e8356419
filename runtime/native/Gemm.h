//===- Gemm.h - dlc's own AVX-512 sgemm microkernel ------------*- C++ -*-===//
//
// C = A x B for row-major f32 matrices with unit inner strides, where the
// shapes convolutions give (few rows of weights times many columns of
// patches, or many rows times few columns) leave OpenBLAS well below the
// machine's peak: B is packed into panels of 64 columns (zero-padded), each
// 6-row x 64-column block of C accumulates in 24 AVX-512 registers over
// the whole depth, A is read in place (six rows broadcast per step). Rows
// and panels are spread over the pool.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_GEMM_H
#define DLRT_NATIVE_GEMM_H

#include <cstdint>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::native {

/// True if this CPU runs the kernel (AVX-512F).
bool hasGemmKernel();

/// c[i*ldc + j] = sum_k a[i*lda + k] * b[k*ldb + j], i < m, j < n, k < depth.
/// Needs hasGemmKernel(). False (nothing written) if scratch memory for the
/// packed panels cannot be had.
bool gemmF32(int64_t m, int64_t n, int64_t depth, const float *a, int64_t lda, const float *b,
             int64_t ldb, float *c, int64_t ldc, ThreadPool *pool);

} // namespace dlrt::native

#endif // DLRT_NATIVE_GEMM_H
