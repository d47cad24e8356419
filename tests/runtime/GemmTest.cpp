//===- GemmTest.cpp - The matmul ukernel and its dispatch vs a plain loop -===//

#include "native/Gemm.h"
#include "native/KernelChoice.h"
#include "native/Matmul.h"
#include "threading/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <memory>
#include <random>
#include <vector>

namespace dlrt::native {
namespace {

/// A product's operands and its expected result.
struct Case {
  int64_t m = 0, n = 0, depth = 0, lda = 0, ldb = 0, ldc = 0;
  std::vector<float> a, b, bt, bias, c, want;
};

Case makeCase(int64_t m, int64_t n, int64_t depth, bool accumulate, bool bias, bool relu,
              std::mt19937 &random) {
  std::uniform_real_distribution<float> value(-1, 1);
  Case t;
  t.m = m, t.n = n, t.depth = depth, t.lda = depth + 3, t.ldb = n + 5, t.ldc = n + 2;
  t.a.resize(m * t.lda);
  t.b.resize(std::max<int64_t>(depth, 1) * t.ldb);
  for (float &x : t.a)
    x = value(random);
  for (float &x : t.b)
    x = value(random);
  t.bt.resize(std::max<int64_t>(n, 1) * std::max<int64_t>(depth, 1));
  for (int64_t k = 0; k < depth; ++k)
    for (int64_t j = 0; j < n; ++j)
      t.bt[j * depth + k] = t.b[k * t.ldb + j];
  if (bias) {
    t.bias.resize(n);
    for (float &x : t.bias)
      x = value(random);
  }
  t.c.resize(m * t.ldc);
  for (float &x : t.c)
    x = value(random);
  t.want = t.c;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? t.c[i * t.ldc + j] : 0.0;
      for (int64_t k = 0; k < depth; ++k)
        sum += double(t.a[i * t.lda + k]) * t.b[k * t.ldb + j];
      if (bias)
        sum += t.bias[j];
      t.want[i * t.ldc + j] = static_cast<float>(relu ? std::max(sum, 0.0) : sum);
    }
  return t;
}

/// c equals want everywhere, including the padding of ldc (never written).
void expectResult(const Case &t, const std::vector<float> &c, const std::string &what) {
  for (int64_t i = 0; i < t.m; ++i)
    for (int64_t j = 0; j < t.ldc; ++j)
      ASSERT_NEAR(c[i * t.ldc + j], t.want[i * t.ldc + j],
                  1e-4 * (1 + std::sqrt(double(t.depth))))
          << t.m << "x" << t.n << "x" << t.depth << " " << what << " at " << i << "," << j;
}

// The ukernel on one thread, over every tail: rows around the 6-row block
// and the small-M limit (B read in place), columns around the 64-column
// panel and its 16-lane vectors, odd and even depths across the depth
// slices, padded leading dimensions; B in place or packed per call, packed
// once as stored or from its transpose, and packed column blocks; every
// epilogue.
TEST(GemmTest, UkernelMatchesAPlainLoop) {
  if (!hasGemmKernel())
    GTEST_SKIP() << "no AVX-512F";
  std::mt19937 random(7);
  for (int64_t m : {1, 2, 3, 5, 6, 7, 13, 16, 17, 64})
    for (int64_t n : {1, 15, 16, 49, 64, 65, 130})
      for (int64_t depth : {0, 1, 2, 7, 300, 577})
        for (int epilogue = 0; epilogue < 4; ++epilogue) {
          bool accumulate = epilogue & 1, bias = epilogue & 2, relu = epilogue == 3;
          Case t = makeCase(m, n, depth, accumulate, bias, relu, random);
          std::unique_ptr<PackedB> packed = PackedB::pack(n, depth, t.b.data(), t.ldb, 1);
          std::unique_ptr<PackedB> packedT = PackedB::pack(n, depth, t.bt.data(), 1, depth);
          ASSERT_EQ(packed == nullptr, depth == 0);
          for (int variant = 0; variant < 3; ++variant) {
            if (variant > 0 && depth == 0)
              continue;
            MatmulParams p;
            p.m = m, p.n = n, p.depth = depth;
            p.a = t.a.data(), p.lda = t.lda;
            p.b = t.b.data(), p.ldb = t.ldb;
            p.packed = variant == 0 ? nullptr : variant == 1 ? packed.get() : packedT.get();
            std::vector<float> c = t.c;
            p.c = c.data(), p.ldc = t.ldc;
            p.epilogue = {bias ? t.bias.data() : nullptr, accumulate, relu};
            ASSERT_TRUE(gemmUkernel(p));
            expectResult(t, c, "variant " + std::to_string(variant) + " epilogue " +
                                   std::to_string(epilogue));
            if (variant != 1 || n <= kPanelColumns)
              continue;
            // The column blocks of a packed weight, one call each.
            c = t.c;
            for (int64_t col0 = 0; col0 < n; col0 += kPanelColumns) {
              MatmulParams part = p;
              part.n = std::min(kPanelColumns, n - col0);
              part.packedColumn = col0;
              part.c = c.data() + col0;
              part.epilogue.bias = bias ? t.bias.data() + col0 : nullptr;
              ASSERT_TRUE(gemmUkernel(part));
            }
            expectResult(t, c, "packed column blocks");
          }
        }
}

// A packed operand that the params do not fit is refused, not read.
TEST(GemmTest, UkernelRefusesAMisfitPacking) {
  if (!hasGemmKernel())
    GTEST_SKIP() << "no AVX-512F";
  std::vector<float> a(8 * 8), b(8 * 100), c(8 * 100);
  std::unique_ptr<PackedB> packed = PackedB::pack(100, 8, b.data(), 100, 1);
  MatmulParams p;
  p.m = 8, p.n = 100, p.depth = 8;
  p.a = a.data(), p.lda = 8;
  p.packed = packed.get();
  p.c = c.data(), p.ldc = 100;
  EXPECT_TRUE(gemmUkernel(p));
  p.packedColumn = 32; // not a panel's first column
  EXPECT_FALSE(gemmUkernel(p));
  p.packedColumn = 64; // past the packed columns
  EXPECT_FALSE(gemmUkernel(p));
  p.packedColumn = 0, p.depth = 9;
  EXPECT_FALSE(gemmUkernel(p));
}

// The dispatch over 1 and 3 threads and no pool, on both kernels (by its
// operands: a transposed A only OpenBLAS reads), a constant B packed once,
// every epilogue.
TEST(GemmTest, DispatchMatchesAPlainLoop) {
  std::mt19937 random(11);
  ThreadPool one(1), three(3);
  for (int64_t m : {1, 4, 16, 61})
    for (int64_t n : {1, 64, 200})
      for (int64_t depth : {0, 1, 129})
        for (int epilogue = 0; epilogue < 4; ++epilogue) {
          bool accumulate = epilogue & 1, bias = epilogue & 2, relu = epilogue == 3;
          Case t = makeCase(m, n, depth, accumulate, bias, relu, random);
          std::vector<float> at(std::max<int64_t>(depth, 1) * m);
          for (int64_t i = 0; i < m; ++i)
            for (int64_t k = 0; k < depth; ++k)
              at[k * m + i] = t.a[i * t.lda + k];
          for (int variant = 0; variant < 3; ++variant)
            for (ThreadPool *pool : {&one, &three, static_cast<ThreadPool *>(nullptr)}) {
              MatmulOperands p;
              p.m = m, p.n = n, p.depth = depth;
              if (variant == 2) // transposed A: OpenBLAS
                p.a = at.data(), p.aRowStride = 1, p.aColStride = m;
              else
                p.a = t.a.data(), p.aRowStride = t.lda;
              p.b = t.b.data(), p.bRowStride = t.ldb;
              p.constantB = variant == 1;
              std::vector<float> c = t.c;
              p.c = c.data(), p.ldc = t.ldc;
              p.epilogue = {bias ? t.bias.data() : nullptr, accumulate, relu};
              std::string error;
              ASSERT_TRUE(matmulF32(p, pool, error)) << error;
              expectResult(t, c, "dispatch variant " + std::to_string(variant));
            }
          forgetConstants(t.b.data(), t.b.data() + t.b.size());
        }
}

// The measured choice: the rule over per-size times, then measured once
// per CPU and read back, measured again for another CPU or a damaged file.
TEST(GemmTest, KernelChoiceIsMeasuredOncePerCpu) {
  EXPECT_EQ(chooseOpenblasFrom({{512, 1, 2}, {768, 2, 3}, {1024, 5, 4}, {1536, 9, 8}}), 1024);
  EXPECT_EQ(chooseOpenblasFrom({{512, 3, 2}, {768, 2, 3}, {1024, 5, 5}}), 0); // within noise
  EXPECT_EQ(chooseOpenblasFrom({{512, 3, 2}, {768, 4, 3}}), 512);
  EXPECT_EQ(chooseOpenblasFrom({{512, 3, 2}, {768, 2, 3}}), 0); // not at every larger size
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("dlc-choice-" + std::to_string(getpid()));
  fs::remove_all(dir);
  int measured = 0;
  auto time = [&](int64_t size, bool openblas) {
    ++measured;
    return openblas ? (size >= 1024 ? 1.0 : 3.0) : 2.0;
  };
  GemmChoice first = loadOrMeasureGemmChoice((dir / "sub").string(), "cpu-a", time);
  EXPECT_EQ(first.openblasFrom, 1024);
  EXPECT_EQ(first.origin, "measured");
  EXPECT_EQ(measured, 2 * int(gemmChoiceSizes().size()));
  GemmChoice again = loadOrMeasureGemmChoice((dir / "sub").string(), "cpu-a", time);
  EXPECT_EQ(again.openblasFrom, 1024);
  EXPECT_NE(again.origin, "measured");
  EXPECT_EQ(measured, 2 * int(gemmChoiceSizes().size()));
  GemmChoice other = loadOrMeasureGemmChoice((dir / "sub").string(), "cpu-b",
                                             [&](int64_t, bool openblas) {
                                               ++measured;
                                               return openblas ? 2.0 : 1.0;
                                             });
  EXPECT_EQ(other.openblasFrom, 0);
  EXPECT_EQ(other.origin, "measured");
  {
    std::ofstream damaged(dir / "sub" / "gemm-choice-cpu-a.txt");
    damaged << "cpu=cpu-a\nopenblas_from=x\n";
  }
  int before = measured;
  EXPECT_EQ(loadOrMeasureGemmChoice((dir / "sub").string(), "cpu-a", time).origin, "measured");
  EXPECT_GT(measured, before);
  // No cache directory: measured, nothing written.
  EXPECT_EQ(loadOrMeasureGemmChoice("", "cpu-a", time).origin, "measured");
  fs::remove_all(dir);
  EXPECT_FALSE(cpuKey().empty());
  EXPECT_EQ(cpuKey().find('/'), std::string::npos);
}

} // namespace
} // namespace dlrt::native
