//===- Ukernels.h - Library microkernels under generated kernels -*- C++ -*-===//
//
// What generated code calls for the work a tuned library does better, as
// IREE's ukernels: the f32 matmul (matmul and gemm nodes) and the f32 2-D
// convolution (an implicit GEMM over the input's patches), extern stages
// of the Halide pipelines. The generated pipeline computes the operands (patches,
// transposes, broadcasts) and the epilogue (bias, activation, residual)
// around it. This is the thin Halide adapter: it reads the buffers as
// strided matrices and batches and hands each product to the dispatch
// policy (native/Matmul.h: dlc's microkernel or OpenBLAS, over the
// session's pool, the kernels' user_context).
//
// The native library binds the ukernels at load: its `dlc_bind_ukernels`
// receives the table below, so the generated shared object needs no symbol
// from the process and no link against OpenBLAS.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_UKERNELS_H
#define DLRT_NATIVE_UKERNELS_H

#include "native/NativeLibrary.h"

#include <cstdint>

namespace dlrt::native {

/// Flags of the matmul ukernel's `flags` argument.
enum MatmulFlags : int32_t {
  /// a's two innermost Halide dims are (m, k) instead of (k, m).
  kMatmulTransA = 1,
  /// b's two innermost Halide dims are (k, n) instead of (n, k).
  kMatmulTransB = 2,
  /// a has no batch dims: its dims below the outermost collapse into k
  /// (dense), the outermost is m (a convolution's weights [M, C, kh, kw]).
  kMatmulCollapseA = 4,
  /// c's and b's two innermost dims (dense) are their columns: a
  /// convolution's output positions (ow, oh); c's rows are its dim 2.
  kMatmulCollapseColumns = 8,
  /// b is a weight: its memory and contents stay as they are until
  /// forgetConstants() (native/Matmul.h) names them, so its packing is made once and reused
  /// by every later product that reads it the same way.
  kMatmulConstantB = 16,
};

/// c(n, m, batch...) = sum over k of a(k, m, batch...) * b(n, k, batch...)
/// (Halide dim order: innermost first; see the flags for other layouts),
/// `depth` = the extent of k. An
/// operand with fewer dims, or extent 1 in a batch dim, is broadcast over
/// that dim. In a bounds query (c has no host memory) the ukernel states
/// the region it reads of the operands that are queried (no host memory);
/// those have c's rank. Nonzero (with the message as the native library's
/// error) on operands it cannot multiply.
int matmulF32(void *userContext, HalideBuffer *a, HalideBuffer *b, int32_t flags, int32_t depth,
              HalideBuffer *c);

/// c(ow, oh, m, n) = a 2-D convolution of x(w, h, c, n) (NCHW, Halide
/// order) by the weights w(kw, kh, c/groups, m) (dense [M, C/G, kh, kw]:
/// `channels` = C/G, `outChannels` = M),
/// computed as an implicit GEMM (native/Conv.h); `height` x `width` is the
/// input's extent (the window reads zeros outside it). In a bounds query
/// it states the whole input (images as c's) and the weights' rows.
int conv2dF32(void *userContext, HalideBuffer *x, HalideBuffer *w, int32_t kernelH,
              int32_t kernelW, int32_t strideH, int32_t strideW, int32_t padTop, int32_t padLeft,
              int32_t dilationH, int32_t dilationW, int32_t groups, int32_t channels,
              int32_t outChannels, int32_t height, int32_t width, HalideBuffer *c);

/// c(o...) = the sum (kind 0) or max (kind 1) of x(i..., o...) over its
/// `reduced` innermost dims (Halide order; 1 to 3, extents `e0`, `e1`,
/// `e2`, dense), o... being c's dims: a global pool, or a reduce over
/// trailing axes (native/Reduce.h). In a bounds query it states x's region:
/// the reduced dims whole, the others c's.
int reduceF32(void *userContext, HalideBuffer *x, int32_t kind, int32_t reduced, int32_t e0,
              int32_t e1, int32_t e2, HalideBuffer *c);

/// The table handed to a native library's `dlc_bind_ukernels`, in this
/// order (entries are only ever added at the end); the generated side
/// declares the same (HalideBackend.cpp).
struct UkernelTable {
  int (*matmulF32)(void *, HalideBuffer *, HalideBuffer *, int32_t, int32_t, HalideBuffer *);
  int (*conv2dF32)(void *, HalideBuffer *, HalideBuffer *, int32_t, int32_t, int32_t, int32_t,
                   int32_t, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t, int32_t,
                   int32_t, HalideBuffer *);
  int (*reduceF32)(void *, HalideBuffer *, int32_t, int32_t, int32_t, int32_t, int32_t,
                   HalideBuffer *);
};
const UkernelTable &ukernels();

} // namespace dlrt::native

#endif // DLRT_NATIVE_UKERNELS_H
