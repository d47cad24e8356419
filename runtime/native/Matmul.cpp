//===- Matmul.cpp - The f32 matmul dispatch policy ------------------------===//

#include "native/Matmul.h"

#include "native/KernelChoice.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace dlrt::native {

namespace {

/// OpenBLAS's sgemm (CBLAS's ABI), loaded at the first product it computes:
/// with OPENBLAS_NUM_THREADS=1 set first (unless the process set it),
/// OpenBLAS starts no threads of its own, whose idle spinning would take
/// the cores the pool runs on; loading it late also keeps it out of
/// programs that never call it.
using Sgemm = void (*)(int order, int transA, int transB, int m, int n, int k, float alpha,
                       const float *a, int lda, const float *b, int ldb, float beta, float *c,
                       int ldc);

Sgemm loadSgemm(std::string &error) {
  static std::string why;
  static Sgemm sgemm = [] {
    setenv("OPENBLAS_NUM_THREADS", "1", /*overwrite=*/0);
    void *handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      why = "cannot load OpenBLAS (libopenblas.so.0; Debian's libopenblas0)";
      return Sgemm(nullptr);
    }
    // Loaded already by the process with threads: one per call from here.
    if (auto setThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads")))
      setThreads(1);
    auto found = reinterpret_cast<Sgemm>(dlsym(handle, "cblas_sgemm"));
    if (!found)
      why = "libopenblas.so.0 has no cblas_sgemm";
    return found;
  }();
  error = why;
  return sgemm;
}

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

/// The leading dimension and transpose flag CBLAS takes for a rows x cols
/// matrix with these strides (row-major). (A stride that only one row or
/// column ever steps over is free.)
bool blasLayout(int64_t rowStride, int64_t colStride, int64_t rows, int64_t cols, int &trans,
                int &ld) {
  int64_t leading = 0;
  if (colStride == 1 || cols == 1) {
    trans = kNoTrans;
    leading = rows == 1 ? std::max<int64_t>(cols, 1) : rowStride;
    if (leading < std::max<int64_t>(cols, 1))
      return false;
  } else if (rowStride == 1 || rows == 1) {
    trans = kTrans; // stored as the transpose: cols x rows, row-major
    leading = cols == 1 ? std::max<int64_t>(rows, 1) : colStride;
    if (leading < std::max<int64_t>(rows, 1))
      return false;
  } else {
    return false;
  }
  if (leading > INT32_MAX)
    return false;
  ld = static_cast<int>(leading);
  return true;
}

/// `p` over the pool with dlc's kernel: tasks of one 64-column panel and a
/// range of row blocks (rows split only when there are fewer panels than
/// threads).
bool runOwn(const MatmulParams &p, ThreadPool *pool) {
  if (p.m <= 0 || p.n <= 0)
    return true;
  // (A product of few rows streams B: counted as 4 rows' work.)
  if (std::max<int64_t>(p.m, 4) * p.n * std::max<int64_t>(p.depth, 1) < kParallelWork)
    pool = nullptr;
  int threads = pool ? pool->threads() : 1;
  constexpr int64_t kBlockRows = 6;
  int64_t panels = (p.n + kPanelColumns - 1) / kPanelColumns,
          blocks = (p.m + kBlockRows - 1) / kBlockRows;
  int64_t chunks = std::min<int64_t>(blocks, std::max<int64_t>(1, (threads + panels - 1) / panels));
  int64_t chunkRows = (blocks + chunks - 1) / chunks * kBlockRows;
  std::atomic<bool> ok{true};
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end && ok.load(std::memory_order_relaxed); ++task) {
      int64_t col0 = task / chunks * kPanelColumns, row0 = task % chunks * chunkRows;
      if (row0 >= p.m)
        continue;
      MatmulParams part = p;
      part.m = std::min(chunkRows, p.m - row0);
      part.n = std::min(kPanelColumns, p.n - col0);
      part.a = p.a + row0 * p.lda;
      part.c = p.c + row0 * p.ldc + col0;
      if (p.packed)
        part.packedColumn = p.packedColumn + col0;
      else
        part.b = p.b + col0;
      if (p.epilogue.bias)
        part.epilogue.bias = p.epilogue.bias + col0;
      // A product read in place whole when it has few rows; else by panel.
      if (!gemmUkernel(part))
        ok = false;
    }
  };
  int64_t tasks = panels * chunks;
  if (pool && tasks > 1) {
    // Tasks of equal work: one chunk per thread where the product is
    // small (each chunk taken is a hand-off between cores), finer ones
    // to balance the load where it is not.
    int64_t work = std::max<int64_t>(p.m, 4) * p.n * std::max<int64_t>(p.depth, 1);
    int64_t grain = work < 8 * kParallelWork ? (tasks + threads - 1) / threads : 1;
    pool->parallelFor(tasks, grain, run);
  } else {
    run(0, tasks);
  }
  return ok.load();
}

/// `p` over the pool with OpenBLAS: split into column (or row) blocks so
/// that every thread has work; blocks are whole vectors of columns.
bool runOpenblas(const MatmulOperands &p, ThreadPool *pool, std::string &error) {
  Sgemm sgemm = loadSgemm(error);
  if (!sgemm)
    return false;
  if (p.m > INT32_MAX || p.n > INT32_MAX || p.depth > INT32_MAX || p.ldc > INT32_MAX) {
    error = "a matrix too large for int32 sizes";
    return false;
  }
  int transA = 0, lda = 0, transB = 0, ldb = 0;
  if (!blasLayout(p.aRowStride, p.aColStride, p.m, p.depth, transA, lda) ||
      !blasLayout(p.bRowStride, p.bColStride, p.depth, p.n, transB, ldb)) {
    error = "an operand with strides sgemm cannot read";
    return false;
  }
  int threads = pool ? pool->threads() : 1;
  int64_t parts = 1;
  bool byColumns = p.n >= p.m;
  if (2 * p.m * p.n * p.depth >= 2 * kParallelWork)
    parts = threads;
  int64_t span = byColumns ? p.n : p.m, align = byColumns ? 16 : 4;
  int64_t block = ((span + parts - 1) / parts + align - 1) / align * align;
  parts = (span + block - 1) / block;
  float beta = p.epilogue.accumulate ? 1.0f : 0.0f;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t part = begin; part < end; ++part) {
      int64_t r0 = 0, r = p.m, c0 = 0, n = p.n;
      if (byColumns)
        c0 = part * block, n = std::min(block, p.n - c0);
      else
        r0 = part * block, r = std::min(block, p.m - r0);
      if (r <= 0 || n <= 0)
        continue;
      float *c = p.c + r0 * p.ldc + c0;
      sgemm(kRowMajor, transA, transB, static_cast<int>(r), static_cast<int>(n),
            static_cast<int>(p.depth), 1.0f, p.a + r0 * p.aRowStride, lda,
            p.b + c0 * p.bColStride, ldb, beta, c, static_cast<int>(p.ldc));
      MatmulEpilogue e = p.epilogue;
      if (e.bias)
        e.bias += c0;
      applyEpilogue(e, c, p.ldc, r, n);
    }
  };
  if (pool && parts > 1)
    pool->parallelFor(parts, 1, run);
  else
    run(0, parts);
  return true;
}

/// Packings of constant operands, keyed by where the operand lives and how
/// it is read; at most kMaxPackedBytes in all (past that, products pack per
/// call as for any operand).
constexpr int64_t kMaxPackedBytes = int64_t(2) << 30;
struct PackKey {
  const float *base;
  int64_t rowStride, colStride, depth, n;
  auto operator<=>(const PackKey &) const = default;
};
struct PackCache {
  std::mutex mutex;
  std::map<PackKey, std::shared_ptr<const PackedB>> packed;
  int64_t bytes = 0;
};
PackCache &packCache() {
  static PackCache cache;
  return cache;
}

/// The packing of the constant b (depth x n), made on first use; null if
/// it cannot be had.
std::shared_ptr<const PackedB> packedConstant(const float *b, int64_t rowStride,
                                              int64_t colStride, int64_t depth, int64_t n) {
  PackCache &cache = packCache();
  PackKey key{b, rowStride, colStride, depth, n};
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    if (auto it = cache.packed.find(key); it != cache.packed.end())
      return it->second;
  }
  std::shared_ptr<const PackedB> packed = PackedB::pack(n, depth, b, rowStride, colStride);
  if (!packed)
    return nullptr;
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.bytes + packed->bytes() > kMaxPackedBytes)
    return packed; // used once, not kept
  auto [it, fresh] = cache.packed.emplace(key, packed);
  if (fresh)
    cache.bytes += packed->bytes();
  return it->second;
}

/// Milliseconds of one size^3 product on this thread (the best of two,
/// one for the largest), by dlc's kernel or OpenBLAS; for the choice.
double timeProduct(int64_t size, bool openblas) {
  std::vector<float> a(size * size, 0.5f), b(size * size, 0.25f), c(size * size);
  MatmulOperands p;
  p.m = p.n = p.depth = size;
  p.a = a.data(), p.aRowStride = size;
  p.b = b.data(), p.bRowStride = size;
  p.c = c.data(), p.ldc = size;
  MatmulParams own;
  own.m = own.n = own.depth = size;
  own.a = a.data(), own.lda = size;
  own.b = b.data(), own.ldb = size;
  own.c = c.data(), own.ldc = size;
  double best = 1e30;
  for (int rep = 0; rep < (size >= 1536 ? 1 : 2); ++rep) {
    auto begin = std::chrono::steady_clock::now();
    std::string error;
    if (!(openblas ? runOpenblas(p, nullptr, error) : gemmUkernel(own)))
      return 1e30; // cannot run: never chosen
    best = std::min(best, std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - begin).count());
  }
  return best;
}

/// DLC_GEMM: "own" or "openblas" forces that kernel; anything else, none.
const std::string &forcedKernel() {
  static const std::string forced = [] {
    const char *env = std::getenv("DLC_GEMM");
    std::string value = env ? env : "";
    return value == "own" || value == "openblas" ? value : std::string();
  }();
  return forced;
}

} // namespace

const GemmChoice &gemmChoice() {
  static const GemmChoice choice = [] {
    GemmChoice chosen;
    const std::string &forced = forcedKernel();
    if (!forced.empty()) {
      chosen.openblasFrom = forced == "own" ? 0 : 1;
      chosen.origin = "DLC_GEMM=" + forced;
      return chosen;
    }
    std::string why;
    if (!loadSgemm(why)) {
      chosen.origin = why;
      return chosen;
    }
    return loadOrMeasureGemmChoice(cacheDirectory(), cpuKey(), timeProduct);
  }();
  return choice;
}

namespace {

/// True if OpenBLAS computes a product of these dims (measured on this
/// CPU; below every size measured, dlc's kernel unless DLC_GEMM=openblas).
bool openblasWins(int64_t m, int64_t n, int64_t depth) {
  bool onlyOpenblas = forcedKernel() == "openblas";
  int64_t smallest = std::min({m, n, depth});
  if (onlyOpenblas || smallest < gemmChoiceSizes().front())
    return onlyOpenblas;
  int64_t from = gemmChoice().openblasFrom;
  return from > 0 && smallest >= from;
}

} // namespace

void forgetConstants(const void *begin, const void *end) {
  PackCache &cache = packCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto from = reinterpret_cast<uintptr_t>(begin), to = reinterpret_cast<uintptr_t>(end);
  for (auto it = cache.packed.begin(); it != cache.packed.end();) {
    auto at = reinterpret_cast<uintptr_t>(it->first.base);
    if (at >= from && at < to) {
      cache.bytes -= it->second->bytes();
      it = cache.packed.erase(it);
    } else {
      ++it;
    }
  }
}

bool matmulF32(const MatmulOperands &p, ThreadPool *pool, std::string &error) {
  if (p.m <= 0 || p.n <= 0)
    return true;
  if (p.ldc < p.n && p.m > 1) {
    error = "the result's rows overlap";
    return false;
  }
  bool own = hasGemmKernel() && !openblasWins(p.m, p.n, p.depth) &&
             (p.aColStride == 1 || p.depth <= 1);
  MatmulParams params;
  params.m = p.m, params.n = p.n, params.depth = p.depth;
  params.a = p.a, params.lda = std::max(p.aRowStride, p.depth);
  params.b = p.b;
  params.c = p.c, params.ldc = p.ldc;
  params.epilogue = p.epilogue;
  if (own && p.constantB && p.depth > 0) {
    if (std::shared_ptr<const PackedB> packed =
            packedConstant(p.b, p.bRowStride, p.n <= 1 ? 1 : p.bColStride, p.depth, p.n)) {
      params.packed = packed.get();
      if (runOwn(params, pool))
        return true;
      if (p.epilogue.accumulate) {
        error = "no memory to pack an operand";
        return false;
      }
    }
  }
  if (own && (p.bColStride == 1 || p.n <= 1)) {
    params.packed = nullptr;
    params.ldb = std::max(p.bRowStride, p.n);
    if (runOwn(params, pool))
      return true;
  }
  if (own && p.epilogue.accumulate) { // C may hold part of the product now
    error = "no memory to pack an operand";
    return false;
  }
  return runOpenblas(p, pool, error);
}

} // namespace dlrt::native
