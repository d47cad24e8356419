//===- GemmTest.cpp - dlc's own sgemm kernel against a plain loop ---------===//

#include "native/Gemm.h"
#include "threading/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

namespace dlrt::native {
namespace {

// Every tail: rows around the 6-row block, columns around the 64-column
// panel and its 16-lane vectors, depths across the 256-step slices, padded
// leading dimensions, 1 and 3 threads; b packed per call, or once (as
// stored or transposed).
TEST(GemmTest, MatchesAPlainLoop) {
  if (!hasGemmKernel())
    GTEST_SKIP() << "no AVX-512F";
  std::mt19937 random(7);
  std::uniform_real_distribution<float> value(-1, 1);
  ThreadPool one(1), three(3);
  for (int64_t m : {1, 5, 6, 7, 13, 64})
    for (int64_t n : {1, 15, 16, 49, 64, 65, 130})
      for (int64_t depth : {0, 1, 7, 300, 577}) {
        int64_t lda = depth + 3, ldb = n + 5, ldc = n + 2;
        std::vector<float> a(m * lda), b(std::max<int64_t>(depth, 1) * ldb);
        std::vector<float> c(m * ldc, 42.0f), want(m * ldc, 42.0f);
        for (float &x : a)
          x = value(random);
        for (float &x : b)
          x = value(random);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t k = 0; k < depth; ++k)
              sum += double(a[i * lda + k]) * b[k * ldb + j];
            want[i * ldc + j] = static_cast<float>(sum);
          }
        // b packed once, as stored and from its transpose (a weight that
        // a gemm reads with trans_b): the same products.
        std::vector<float> bt(std::max<int64_t>(n, 1) * std::max<int64_t>(depth, 1));
        for (int64_t k = 0; k < depth; ++k)
          for (int64_t j = 0; j < n; ++j)
            bt[j * depth + k] = b[k * ldb + j];
        std::unique_ptr<PackedB> packed = PackedB::pack(n, depth, b.data(), ldb, 1);
        std::unique_ptr<PackedB> packedT = PackedB::pack(n, depth, bt.data(), 1, depth);
        ASSERT_EQ(packed == nullptr, depth == 0); // nothing to pack: callers use gemmF32
        for (int variant = 0; variant < 3; ++variant)
          for (ThreadPool *pool : {&one, &three, static_cast<ThreadPool *>(nullptr)}) {
            if (variant > 0 && depth == 0)
              continue;
            std::fill(c.begin(), c.end(), 42.0f);
            ASSERT_TRUE(variant == 0 ? gemmF32(m, n, depth, a.data(), lda, b.data(), ldb,
                                               c.data(), ldc, pool)
                                     : gemmF32(m, a.data(), lda, variant == 1 ? *packed : *packedT,
                                               c.data(), ldc, pool));
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < ldc; ++j) {
                float got = c[i * ldc + j], expected = want[i * ldc + j];
                // Columns past n (the padding of ldc) are never written.
                ASSERT_NEAR(got, expected, 1e-4 * (1 + std::sqrt(double(depth))))
                    << m << "x" << n << "x" << depth << " variant " << variant << " at " << i
                    << "," << j;
              }
          }
      }
}

} // namespace
} // namespace dlrt::native
