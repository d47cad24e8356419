//===- ukbench.cpp - The matmul microkernel against the machine's limits --===//
//
// `dlc-ukbench [THREADS...]`: the small-M products (M = 1..16 rows, every
// torch Linear at batch 1) through the dispatch a compiled model runs
// (native/Matmul.h: a weight packed once, the session's pool), with the
// weight bytes each streams per product and their rate in GB/s, for the
// table's comparison with the memory triad and the L2-resident stream;
// and the kernel choice measured on this CPU. One JSON object per line.
//
//===----------------------------------------------------------------------===//

#include "native/Matmul.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace dlrt;

namespace {

/// Median microseconds of `product` (runs enough to take ~20 ms a sample).
template <typename F> double medianMicros(F product) {
  product();
  auto begin = std::chrono::steady_clock::now();
  product();
  double once = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - begin)
                    .count();
  int reps = std::max(1, static_cast<int>(20000 / std::max(once, 0.1)));
  std::vector<double> samples;
  for (int s = 0; s < 9; ++s) {
    begin = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r)
      product();
    samples.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - begin).count() /
        reps);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i)
    threads.push_back(std::atoi(argv[i]));
  if (threads.empty())
    threads = {1, 2};
  const native::GemmChoice &choice = native::gemmChoice();
  std::printf("{\"gemm_choice\": {\"cpu\": \"%s\", \"openblas_from\": %lld, \"origin\": \"%s\"}}\n",
              choice.cpu.c_str(), static_cast<long long>(choice.openblasFrom),
              choice.origin.c_str());
  const int64_t shapes[][2] = {{256, 512}, {512, 512}, {512, 1024}, {1024, 1024},
                               {1024, 4096}, {4096, 1024}};
  for (int t : threads) {
    std::unique_ptr<ThreadPool> pool = t > 1 ? std::make_unique<ThreadPool>(t) : nullptr;
    for (auto [depth, n] : shapes)
      for (int64_t m : {1, 2, 4, 8, 16}) {
        std::vector<float> a(m * depth, 0.5f), b(depth * n, 0.25f), c(m * n);
        native::MatmulOperands p;
        p.m = m, p.n = n, p.depth = depth;
        p.a = a.data(), p.aRowStride = depth;
        p.b = b.data(), p.bRowStride = n;
        p.c = c.data(), p.ldc = n;
        p.constantB = true;
        std::string error;
        bool ok = true;
        double us = medianMicros([&] { ok = ok && native::matmulF32(p, pool.get(), error); });
        if (!ok) {
          std::fprintf(stderr, "dlc-ukbench: %s\n", error.c_str());
          return 1;
        }
        double bytes = double(depth) * n * sizeof(float);
        std::printf("{\"threads\": %d, \"m\": %lld, \"k\": %lld, \"n\": %lld, \"us\": %.3f, "
                    "\"weight_gbs\": %.2f, \"gflops\": %.2f}\n",
                    t, static_cast<long long>(m), static_cast<long long>(depth),
                    static_cast<long long>(n), us, bytes / us / 1e3, 2.0 * m * depth * n / us / 1e3);
        native::forgetConstants(b.data(), b.data() + b.size());
      }
  }
  return 0;
}
