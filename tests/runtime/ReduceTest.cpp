//===- ReduceTest.cpp - The run reductions vs a plain loop ----------------===//
//
// native/Reduce.h: sums and maxes of runs of every length around the
// vector width (masked last vectors), strided rows, NaN through max, on
// one thread and on a pool.
//
//===----------------------------------------------------------------------===//

#include "native/Reduce.h"
#include "threading/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace dlrt::native {
namespace {

void check(int64_t rows, int64_t length, int64_t rowStride, RunReduction kind, ThreadPool *pool) {
  std::mt19937 random(static_cast<unsigned>(length * 31 + rows));
  std::uniform_real_distribution<float> value(-4, 4);
  std::vector<float> x(rows * rowStride + 16);
  for (float &v : x)
    v = value(random);
  std::vector<float> c(rows, -1.0f);
  reduceRunsF32(x.data(), rows, rowStride, length, kind, c.data(), pool);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    float best = -std::numeric_limits<float>::infinity();
    for (int64_t j = 0; j < length; ++j) {
      sum += x[r * rowStride + j];
      best = std::max(best, x[r * rowStride + j]);
    }
    if (kind == RunReduction::Sum)
      ASSERT_NEAR(c[r], sum, 1e-5 * (1 + length)) << "row " << r << " of length " << length;
    else
      ASSERT_EQ(c[r], best) << "row " << r << " of length " << length;
  }
}

TEST(Reduce, RunsOfEveryLengthAroundTheVector) {
  for (RunReduction kind : {RunReduction::Sum, RunReduction::Max})
    for (int64_t length : {1, 2, 7, 15, 16, 17, 31, 32, 33, 49, 196, 3136})
      check(5, length, length, kind, nullptr);
}

TEST(Reduce, StridedRowsAndAPool) {
  ThreadPool pool(3);
  for (RunReduction kind : {RunReduction::Sum, RunReduction::Max}) {
    check(7, 49, 53, kind, &pool);
    check(4096, 49, 49, kind, &pool); // chunks spread over the pool
    check(96, 12544, 12544, kind, &pool);
  }
}

TEST(Reduce, NanPropagatesThroughMax) {
  for (int64_t at : {0, 5, 16, 40}) {
    std::vector<float> x(49, 1.0f);
    x[at] = std::numeric_limits<float>::quiet_NaN();
    float c = 0;
    reduceRunsF32(x.data(), 1, 49, 49, RunReduction::Max, &c, nullptr);
    EXPECT_TRUE(std::isnan(c)) << "NaN at " << at;
    reduceRunsF32(x.data(), 1, 49, 49, RunReduction::Sum, &c, nullptr);
    EXPECT_TRUE(std::isnan(c)) << "NaN at " << at;
  }
}

TEST(Reduce, AnEmptyRunIsTheIdentity) {
  float c[2] = {-1, -1};
  reduceRunsF32(nullptr, 1, 0, 0, RunReduction::Sum, c, nullptr);
  reduceRunsF32(nullptr, 1, 0, 0, RunReduction::Max, c + 1, nullptr);
  EXPECT_EQ(c[0], 0.0f);
  EXPECT_EQ(c[1], -std::numeric_limits<float>::infinity());
}

} // namespace
} // namespace dlrt::native
