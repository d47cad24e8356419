//===- ConvTest.cpp - The implicit-GEMM convolution vs a plain loop -------===//
//
// native/Conv.h over the attribute space of a 2-D convolution: kernel
// sizes, strides, dilations, asymmetric pads, groups, a strided input, a
// region of the result (channels and positions, some past the output), on
// one thread and on a pool.
//
//===----------------------------------------------------------------------===//

#include "native/Conv.h"
#include "threading/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace dlrt::native {
namespace {

struct Geometry {
  int64_t images, groups, channels, height, width, outChannels;
  int64_t kh, kw, sh, sw, dh, dw, top, left, bottom, right;
};

/// Runs `g` (whole output, or the region [c0, c0+cc) x rows/cols given)
/// and compares with a direct loop; the input is strided (row padding).
void check(const Geometry &g, ThreadPool *pool, int64_t c0 = 0, int64_t cc = -1,
           int64_t row0 = 0, int64_t rows = -1, int64_t col0 = 0, int64_t cols = -1,
           int64_t rowPadding = 3) {
  std::mt19937 random(static_cast<unsigned>(g.channels * 131 + g.kh * 7 + g.sw));
  std::uniform_real_distribution<float> value(-1, 1);
  const int64_t oh = (g.height + g.top + g.bottom - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  const int64_t ow = (g.width + g.left + g.right - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  if (cc < 0)
    cc = g.outChannels;
  if (rows < 0)
    rows = oh;
  if (cols < 0)
    cols = ow;
  const int64_t rowStride = g.width + rowPadding, channelStride = g.height * rowStride,
                imageStride = g.channels * g.groups * channelStride + 5;
  std::vector<float> x(g.images * imageStride);
  for (float &v : x)
    v = value(random);
  const int64_t depth = g.channels * g.kh * g.kw;
  std::vector<float> w(g.outChannels * depth);
  for (float &v : w)
    v = value(random);
  const int64_t cChannel = rows * cols + 2, cImage = cc * cChannel;
  std::vector<float> c(g.images * cImage, NAN);
  Conv2dShape s;
  s.images = g.images, s.groups = g.groups, s.channels = g.channels, s.height = g.height,
  s.width = g.width, s.outChannels = g.outChannels, s.channel0 = c0, s.channelCount = cc,
  s.outRow0 = row0, s.outCol0 = col0, s.outHeight = rows, s.outWidth = cols, s.kernelH = g.kh,
  s.kernelW = g.kw, s.strideH = g.sh, s.strideW = g.sw, s.dilationH = g.dh, s.dilationW = g.dw,
  s.padTop = g.top, s.padLeft = g.left;
  Conv2dOperands o;
  o.x = x.data(), o.imageStride = imageStride, o.channelStride = channelStride,
  o.rowStride = rowStride, o.colStride = 1;
  o.w = w.data(), o.ldw = depth;
  o.c = c.data(), o.cImageStride = cImage, o.cChannelStride = cChannel;
  std::string error;
  ASSERT_TRUE(conv2dF32(s, o, pool, error)) << error;
  const int64_t perGroup = g.outChannels / g.groups;
  for (int64_t n = 0; n < g.images; ++n)
    for (int64_t m = c0; m < c0 + cc; ++m)
      for (int64_t r = row0; r < row0 + rows; ++r)
        for (int64_t q = col0; q < col0 + cols; ++q) {
          double want = 0;
          int64_t group = m / perGroup;
          for (int64_t ci = 0; ci < g.channels; ++ci)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                int64_t ih = r * g.sh - g.top + i * g.dh, iw = q * g.sw - g.left + j * g.dw;
                if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width)
                  continue;
                want += double(w[m * depth + (ci * g.kh + i) * g.kw + j]) *
                        x[n * imageStride + (group * g.channels + ci) * channelStride +
                          ih * rowStride + iw];
              }
          float got = c[n * cImage + (m - c0) * cChannel + (r - row0) * cols + (q - col0)];
          ASSERT_NEAR(got, want, 1e-4 * (1 + std::abs(want)))
              << "image " << n << " channel " << m << " at (" << r << ", " << q << ")";
        }
}

const Geometry kGeometries[] = {
    // images groups C H W M | kh kw sh sw dh dw | top left bottom right
    {1, 1, 3, 9, 11, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     // 3x3 same
    {2, 1, 16, 13, 70, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},  // rows past a panel
    {1, 1, 5, 12, 12, 7, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0},    // stride 2, asymmetric
    {1, 1, 4, 10, 9, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},     // 1x1
    {1, 1, 4, 10, 9, 6, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},     // 1x1 stride 2
    {1, 1, 3, 15, 17, 5, 5, 5, 1, 2, 2, 2, 4, 3, 2, 4},    // 5x5 dilated
    {1, 1, 2, 20, 21, 4, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3},    // 7x7 stem
    {1, 1, 3, 8, 8, 4, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3},      // 1x7
    {1, 1, 3, 8, 8, 4, 7, 1, 1, 1, 1, 1, 3, 0, 3, 0},      // 7x1
    {2, 4, 3, 9, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // groups of 8 outputs
    {1, 2, 40, 6, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // depth across slices
    {1, 1, 70, 5, 5, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // depth 630: 3 slices
    {1, 1, 2, 4, 3, 3, 3, 3, 3, 3, 1, 1, 5, 5, 5, 5},      // window mostly padding
    // depthwise (one input channel per group): the kernel of its own
    {1, 6, 1, 13, 37, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // 3x3, rows of 2+ vectors
    {2, 5, 1, 20, 150, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},   // rows past 8 vectors
    {1, 4, 1, 17, 35, 4, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0},    // stride 2, asymmetric
    {1, 3, 1, 14, 40, 3, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2},    // 5x5 stride 2
    {1, 2, 1, 12, 19, 2, 7, 7, 1, 1, 2, 2, 6, 6, 6, 6},    // 7x7 dilated
    {1, 3, 1, 11, 50, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1},    // stride 3 (gathers)
    {1, 4, 1, 9, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},     // channel multiplier 3
    {1, 2, 1, 3, 3, 2, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4},      // window mostly padding
};

TEST(ConvTest, MatchesAPlainLoopOnOneThread) {
  for (const Geometry &g : kGeometries)
    check(g, nullptr);
}

TEST(ConvTest, MatchesAPlainLoopOnAPool) {
  ThreadPool pool(3);
  for (const Geometry &g : kGeometries)
    check(g, &pool);
}

TEST(ConvTest, ComputesARegionOfTheResult) {
  ThreadPool pool(2);
  Geometry g{1, 2, 6, 11, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1};
  check(g, &pool, /*c0=*/5, /*cc=*/9);                    // channels across groups
  check(g, nullptr, 0, -1, /*row0=*/2, /*rows=*/5, /*col0=*/3, /*cols=*/14); // past the output
  Geometry dw{1, 8, 1, 11, 40, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}; // depthwise, multiplier 2
  check(dw, &pool, 3, 7);
  check(dw, nullptr, 0, -1, 4, 9, 5, 41);
}

/// The whole of `g` over an input of dense rows, on this thread and a pool.
void checkDenseRows(const Geometry &g, ThreadPool &pool) {
  check(g, nullptr, 0, -1, 0, -1, 0, -1, /*rowPadding=*/0);
  check(g, &pool, 0, -1, 0, -1, 0, -1, /*rowPadding=*/0);
}

// Depthwise over narrow planes of dense rows, computed flat (positions
// across rows in one vector): same padding, dilation, 5x5, a region of rows.
TEST(ConvTest, DepthwiseOverNarrowPlanes) {
  ThreadPool pool(2);
  const Geometry narrow[] = {
      {2, 6, 1, 14, 14, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 5, 1, 7, 7, 5, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
      {1, 4, 1, 9, 10, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},
      {1, 3, 1, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 3, 1, 16, 16, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3},
  };
  for (const Geometry &g : narrow)
    checkDenseRows(g, pool);
  check(narrow[0], nullptr, 1, 4, /*row0=*/3, /*rows=*/6, 0, -1, 0);
}

// 1x1 convolutions of stride 1 over dense planes read the input's channels
// in place as the panels: positions across panels, depth across slices,
// groups, a region of rows inside the input and one past it.
TEST(ConvTest, OneByOneReadsTheInputInPlace) {
  ThreadPool pool(2);
  const Geometry dense[] = {
      {2, 1, 20, 9, 13, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 1, 300, 5, 7, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
      {1, 2, 8, 12, 12, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
  };
  for (const Geometry &g : dense)
    checkDenseRows(g, pool);
  check(dense[0], nullptr, 3, 17, /*row0=*/2, /*rows=*/5, 0, 13, 0);
  check(dense[0], nullptr, 0, -1, /*row0=*/4, /*rows=*/7, 0, 13, 0);
}

TEST(ConvTest, RefusesAMalformedShape) {
  Conv2dShape s;
  s.channels = 1, s.height = s.width = 1, s.outChannels = 3, s.groups = 2, s.channelCount = 3,
  s.outHeight = s.outWidth = 1;
  float x = 1, w[3] = {1, 1, 1}, c[3];
  Conv2dOperands o;
  o.x = &x, o.w = w, o.ldw = 1, o.c = c, o.cChannelStride = 1, o.cImageStride = 3;
  std::string error;
  EXPECT_FALSE(conv2dF32(s, o, nullptr, error));
  EXPECT_NE(error.find("unexpected shape"), std::string::npos);
}

} // namespace
} // namespace dlrt::native
