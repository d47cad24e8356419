//===- Gemm.h - dlc's own AVX-512 f32 matmul microkernel --------*- C++ -*-===//
//
// The microkernel: C = A x B (+ epilogue) for row-major f32 matrices with
// unit inner strides, on one thread, described by a plain params struct
// (pointers, sizes, strides, epilogue) as IREE's ukernels are. It does no
// threading and knows no Halide buffer: the dispatch policy (native/
// Matmul.h) splits products over the pool and chooses between this kernel
// and OpenBLAS; the Halide adapter (native/Ukernels.h) decodes buffers.
//
// B is read by 64-column panels: packed once (PackedB, zero-padded; what a
// weight is), packed per call into this thread's scratch, or, for products
// of at most kSmallRows rows, read in place (packing a matrix that is read
// once costs as much as the product). Each block of up to 6 rows x 64
// columns of C accumulates in AVX-512 registers over a slice of the depth,
// A broadcast from its rows in place; blocks of one or two rows also split
// the depth over two accumulator sets, so that a matrix-vector product
// streams B instead of waiting on the FMA latency.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_GEMM_H
#define DLRT_NATIVE_GEMM_H

#include <cstdint>
#include <memory>

namespace dlrt::native {

/// True if this CPU runs the kernel (AVX-512F).
bool hasGemmKernel();

/// Columns per panel of B (and the alignment of column splits of a packed
/// operand).
constexpr int64_t kPanelColumns = 64;
/// Products (and convolutions) of fewer multiply-adds than this (~10 us)
/// run on the calling thread: waking the pool costs more than it saves.
constexpr int64_t kParallelWork = int64_t(1) << 20;
/// Products with at most this many rows read an unpacked B in place.
constexpr int64_t kSmallRows = 16;

/// A right-hand operand packed once into the kernel's panels, for operands
/// that do not change between products (weights). Any strides pack (a
/// transposed weight reads as well as a plain one).
class PackedB {
public:
  /// b(k, j) = b[k*rowStride + j*colStride], k < depth, j < n; null if the
  /// memory cannot be had (over 256 MiB packed, or none left).
  static std::unique_ptr<PackedB> pack(int64_t n, int64_t depth, const float *b,
                                       int64_t rowStride, int64_t colStride);
  int64_t n() const { return n_; }
  int64_t depth() const { return depth_; }
  int64_t bytes() const;
  /// Panel p: depth rows of kPanelColumns columns (zero-padded past n).
  const float *panel(int64_t p) const;

private:
  struct Free {
    void operator()(float *p) const;
  };
  int64_t n_ = 0, depth_ = 0;
  std::unique_ptr<float, Free> data_;
};

/// What the kernel does to each element of C once the product is summed:
/// c = act(product + bias[j] + (accumulate ? c : 0)).
struct MatmulEpilogue {
  const float *bias = nullptr; ///< per column (n floats), or none
  bool accumulate = false;     ///< add the product to what C holds
  bool relu = false;           ///< max(x, 0) last
};

/// The epilogue's bias and relu over rows x cols of c, which holds the
/// product (and what it accumulated) already: for kernels that sum
/// elsewhere (OpenBLAS, a product over no depth).
void applyEpilogue(const MatmulEpilogue &e, float *c, int64_t ldc, int64_t rows, int64_t cols);

/// One product. a(i, k) = a[i*lda + k], c(i, j) = c[i*ldc + j], i < m,
/// j < n, k < depth. B is either `packed` (panels of its columns from
/// `packedColumn`, a multiple of kPanelColumns: a column block of a packed
/// weight) or b(k, j) = b[k*ldb + j].
struct MatmulParams {
  int64_t m = 0, n = 0, depth = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const float *b = nullptr;
  int64_t ldb = 0;
  const PackedB *packed = nullptr;
  int64_t packedColumn = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  MatmulEpilogue epilogue;
};

/// Computes `p` on the calling thread. Needs hasGemmKernel(). False
/// (nothing written) if p is malformed (a packed operand it does not fit)
/// or scratch memory for packing cannot be had.
bool gemmUkernel(const MatmulParams &p);

/// One slice of the depth of a product whose B the caller builds panel by
/// panel (a convolution's input patches, native/Conv.h) or reads in place:
/// C[0..m) x [0..cols) = A[0..m) x [0..steps) times `panel`'s `steps` rows
/// (`ldPanel` apart; only their first `cols` columns are read), added to
/// what C holds where `accumulate`. a(i, k) = a[i*lda + k], c(i, j) =
/// c[i*ldc + j]. Needs hasGemmKernel().
void gemmPanel(int64_t m, int64_t steps, const float *a, int64_t lda, const float *panel,
               int64_t ldPanel, int cols, float *c, int64_t ldc, bool accumulate);

/// This thread's scratch for panels (64-byte aligned, at least `floats`),
/// kept for the thread's life; null if the memory cannot be had.
float *panelBuffer(int64_t floats);

} // namespace dlrt::native

#endif // DLRT_NATIVE_GEMM_H
