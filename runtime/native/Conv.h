//===- Conv.h - 2-D convolution as an implicit GEMM -------------*- C++ -*-===//
//
// A 2-D convolution (NCHW, any kernel size, strides, dilations, padding,
// groups) computed as the matmul it is, weights [M, C/G*kh*kw] times the
// input's patches [C/G*kh*kw, OH*OW] per image and group, without an
// im2col tensor: each task gathers the patches of 64 output positions, one
// slice of the depth at a time, straight from the input into a panel of
// the GEMM microkernel's layout (native/Gemm.h; zero where the window
// leaves the input), and runs the microkernel's blocks on it while it is
// in L1/L2. The weights are read in place (broadcast row by row), so
// nothing is packed per call or kept between calls.
//
// Like the matmul ukernel it knows no Halide buffer (the adapter in
// native/Ukernels.cpp decodes them) and spreads one call over the
// session's pool.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_NATIVE_CONV_H
#define DLRT_NATIVE_CONV_H

#include <cstdint>
#include <string>

namespace dlrt {
class ThreadPool;
}

namespace dlrt::native {

/// The geometry of a 2-D convolution: `groups` groups of `channels` input
/// and `outChannels / groups` output channels each. What is computed: the
/// result's region of channels [channel0, channel0 + channelCount) (within
/// [0, outChannels)) and positions [outRow0, outRow0 + outHeight) x
/// [outCol0, outCol0 + outWidth) (positions past the convolution's own read
/// zeros past the input).
struct Conv2dShape {
  int64_t images = 1, groups = 1, channels = 0, height = 0, width = 0;
  int64_t outChannels = 0, channel0 = 0, channelCount = 0;
  int64_t outRow0 = 0, outCol0 = 0, outHeight = 0, outWidth = 0;
  int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t padTop = 0, padLeft = 0;
};

/// Where the operands live (strides in elements).
struct Conv2dOperands {
  /// x(n, c, h, w) = x[n*imageStride + c*channelStride + h*rowStride + w*colStride].
  const float *x = nullptr;
  int64_t imageStride = 0, channelStride = 0, rowStride = 0, colStride = 1;
  /// w(m, k) = w[m*ldw + k], k = (c*kernelH + i)*kernelW + j, m < outChannels:
  /// [M, C/G, kh, kw] dense.
  const float *w = nullptr;
  int64_t ldw = 0;
  /// The region's c(n, m, oh, ow) = c[n*cImageStride + (m - channel0)*cChannelStride +
  /// (oh - outRow0)*outWidth + (ow - outCol0)].
  float *c = nullptr;
  int64_t cImageStride = 0, cChannelStride = 0;
};

/// Computes the convolution over `pool` (null: this thread). False with
/// `error` set on a shape it cannot compute or memory it cannot have.
bool conv2dF32(const Conv2dShape &shape, const Conv2dOperands &operands, ThreadPool *pool,
               std::string &error);

} // namespace dlrt::native

#endif // DLRT_NATIVE_CONV_H
