//===- ThreadPoolTest.cpp - Parallel loops ---------------------------------===//

#include "kernels/Conv.h"
#include "kernels/Linalg.h"
#include "threading/ThreadPool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <random>

namespace dlrt {
namespace {

TEST(ThreadPoolTest, CoversTheRangeOnce) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.threads(), 3);
  for (int64_t count : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(count);
    pool.parallelFor(count, 5, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        ++hits[i];
    });
    for (int64_t i = 0; i < count; ++i)
      ASSERT_EQ(hits[i], 1) << "count " << count << " index " << i;
  }
}

// A grain that does not divide the count still splits the loop: 49 tasks
// at a grain of 25 are chunks of 25 and 24 (once one chunk, on one thread).
TEST(ThreadPoolTest, AnUnevenGrainStillSplits) {
  ThreadPool pool(2);
  std::vector<std::pair<int64_t, int64_t>> chunks;
  std::mutex mutex;
  pool.parallelFor(49, 25, [&](int64_t begin, int64_t end) {
    std::lock_guard<std::mutex> lock(mutex);
    chunks.emplace_back(begin, end);
  });
  std::sort(chunks.begin(), chunks.end());
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], std::make_pair(int64_t(0), int64_t(25)));
  EXPECT_EQ(chunks[1], std::make_pair(int64_t(25), int64_t(49)));
}

TEST(ThreadPoolTest, NestedLoopsRunInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.parallelFor(10, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      pool.parallelFor(10, 1, [&](int64_t b, int64_t e) { sum += e - b; });
  });
  EXPECT_EQ(sum, 100);
}

// The kernel's result does not depend on the thread count.
TEST(ThreadPoolTest, MatmulIsTheSameOnAnyNumberOfThreads) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> real(-1, 1);
  std::vector<float> a(3 * 37 * 29), b(29 * 41);
  for (float &v : a) v = real(rng);
  for (float &v : b) v = real(rng);
  std::vector<int64_t> ad = {3, 37, 29}, bd = {29, 41}, od = {3, 37, 41};
  kernels::BufferView av{a.data(), kernels::ElementType::F32, ad.data(), 3};
  kernels::BufferView bv{b.data(), kernels::ElementType::F32, bd.data(), 2};
  std::vector<float> serial(3 * 37 * 41), parallel(3 * 37 * 41);
  kernels::BufferView sv{serial.data(), kernels::ElementType::F32, od.data(), 3};
  kernels::BufferView pv{parallel.data(), kernels::ElementType::F32, od.data(), 3};
  ASSERT_TRUE(kernels::matmul(av, bv, sv).isOk());
  ThreadPool pool(4);
  ASSERT_TRUE(kernels::matmul(av, bv, pv, &pool).isOk());
  EXPECT_EQ(serial, parallel);
}

TEST(ThreadPoolTest, ConvIsTheSameOnAnyNumberOfThreads) {
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> real(-1, 1);
  // Grouped, strided, padded: x [2,4,9,9], w [6,2,3,3], group 2.
  std::vector<float> x(2 * 4 * 9 * 9), w(6 * 2 * 3 * 3), bias(6);
  for (float &v : x) v = real(rng);
  for (float &v : w) v = real(rng);
  for (float &v : bias) v = real(rng);
  std::vector<int64_t> xd = {2, 4, 9, 9}, wd = {6, 2, 3, 3}, bd = {6}, od = {2, 6, 5, 5};
  kernels::ConvParams params{{{3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}}, 2};
  kernels::BufferView xv{x.data(), kernels::ElementType::F32, xd.data(), 4};
  kernels::BufferView wv{w.data(), kernels::ElementType::F32, wd.data(), 4};
  kernels::BufferView bv{bias.data(), kernels::ElementType::F32, bd.data(), 1};
  std::vector<float> serial(2 * 6 * 5 * 5), parallel(serial.size());
  kernels::BufferView sv{serial.data(), kernels::ElementType::F32, od.data(), 4};
  kernels::BufferView pv{parallel.data(), kernels::ElementType::F32, od.data(), 4};
  ASSERT_TRUE(kernels::conv(params, xv, wv, bv, sv).isOk());
  ThreadPool pool(3);
  ASSERT_TRUE(kernels::conv(params, xv, wv, bv, pv, &pool).isOk());
  EXPECT_EQ(serial, parallel);
  EXPECT_NE(serial, std::vector<float>(serial.size(), 0.0f));
}

} // namespace
} // namespace dlrt
