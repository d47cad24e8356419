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
#include <memory>

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

/// A right-hand operand packed once into the kernel's panels, for operands
/// that do not change between products (weights): the packing is what a
/// product with few rows spends most of its time on, and any strides pack
/// (a transposed weight reads as well as a plain one).
class PackedB {
public:
  /// b(k, j) = b[k*rowStride + j*colStride], k < depth, j < n; null if the
  /// memory cannot be had.
  static std::unique_ptr<PackedB> pack(int64_t n, int64_t depth, const float *b,
                                       int64_t rowStride, int64_t colStride);
  int64_t n() const { return n_; }
  int64_t depth() const { return depth_; }
  int64_t bytes() const;
  /// Panel p: depth rows of 64 columns (zero-padded past n).
  const float *panel(int64_t p) const;

private:
  struct Free {
    void operator()(float *p) const;
  };
  int64_t n_ = 0, depth_ = 0;
  std::unique_ptr<float, Free> data_;
};

/// gemmF32 with b packed (its n and depth).
bool gemmF32(int64_t m, const float *a, int64_t lda, const PackedB &b, float *c, int64_t ldc,
             ThreadPool *pool);

} // namespace dlrt::native

#endif // DLRT_NATIVE_GEMM_H
