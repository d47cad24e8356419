//===- Ukernels.cpp - Library microkernels under generated kernels --------===//

#include "native/Ukernels.h"

#include "native/Gemm.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dlrt::native {

namespace {

/// OpenBLAS's sgemm (CBLAS's ABI), loaded at the first matmul: with
/// OPENBLAS_NUM_THREADS=1 set first (unless the process set it), OpenBLAS
/// starts no threads of its own, whose idle spinning would take the cores
/// the pool runs on; loading it late also keeps it out of programs that
/// run no native matmul.
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

/// The part of an operand the ukernel reads: a matrix of rows x columns
/// starting at `base`, with strides in elements, and one offset stride per
/// batch dim of c (0 where the operand is broadcast).
struct Matrix {
  float *base = nullptr;
  int64_t rowStride = 0, colStride = 0;
  std::vector<int64_t> batchStride;
};

/// Dims [first, first + count) of a buffer, one axis of its matrix
/// (several dims collapse into one axis when dense).
struct Axis {
  int first = 0, count = 1;
};

/// How an operand's dims form its matrix: its row and column axes, its
/// first batch dim (batch dims pair with c's from c's first batch dim).
struct Layout {
  Axis rows, cols;
  int firstBatch = 2;
};

/// Records `message` as the kernel's error; false (for matrix()).
bool fail(const std::string &message) {
  reportError("matmul ukernel: " + message);
  return false;
}

/// Records `message` as the kernel's error; the kernel's error code.
int failed(const std::string &message) {
  fail(message);
  return -1;
}

/// What an axis of an operand must cover: dims like `ref`'s dims of
/// `refAxis` (c's rows or columns), or one range [0, depth).
struct Extent {
  const HalideBuffer *ref = nullptr;
  Axis refAxis;
  int64_t depth = 0;
};

/// The stride of `axis` of `buffer` and the offset of the element the
/// matrix starts at; false (with the error recorded) where the axis does not
/// cover `want` or its dims are not dense.
bool axisOf(const HalideBuffer &buffer, Axis axis, const Extent &want, const char *name,
            int64_t &stride, int64_t &offset) {
  const HalideDimension *dim = buffer.dim;
  stride = dim[axis.first].stride;
  if (!want.ref) { // the depth: [0, depth) over the axis's dims
    int64_t expected = stride, extent = 1;
    for (int d = axis.first; d < axis.first + axis.count; ++d) {
      if (axis.count > 1 && (dim[d].min != 0 || (dim[d].stride != expected && dim[d].extent > 1)))
        return fail(std::string(name) + " is not dense where it collapses");
      expected *= dim[d].extent;
      extent *= dim[d].extent;
    }
    if (axis.count == 1 ? dim[axis.first].min > 0 || dim[axis.first].min + extent < want.depth
                        : extent != want.depth)
      return fail(std::string(name) + " does not hold the depth");
    offset -= int64_t(dim[axis.first].min) * stride;
    return true;
  }
  const HalideDimension *ref = want.ref->dim + want.refAxis.first;
  if (axis.count != want.refAxis.count)
    return fail(std::string(name) + " has an unexpected rank");
  if (axis.count == 1) {
    if (dim[axis.first].min > ref->min ||
        dim[axis.first].min + int64_t(dim[axis.first].extent) < ref->min + int64_t(ref->extent))
      return fail(std::string(name) + " does not hold the region read");
    offset += int64_t(ref->min - dim[axis.first].min) * stride;
    return true;
  }
  int64_t expected = stride;
  for (int d = 0; d < axis.count; ++d) {
    const HalideDimension &have = dim[axis.first + d];
    if (have.min != ref[d].min || have.extent != ref[d].extent ||
        (have.stride != expected && have.extent > 1))
      return fail(std::string(name) + " is not dense where it collapses");
    expected *= have.extent;
  }
  return true;
}

/// Reads `buffer` as a matrix laid out as `layout`, its rows covering
/// `rows`, its columns `cols`, its batch dims c's from `cFirstBatch`.
bool matrix(const HalideBuffer &buffer, const Layout &layout, const Extent &rows,
            const Extent &cols, const HalideBuffer &c, int cFirstBatch, const char *name,
            Matrix &out) {
  if (buffer.type.code != 2 || buffer.type.bits != 32)
    return fail(std::string(name) + " is not f32");
  int batchDims = buffer.dimensions - layout.firstBatch, cBatchDims = c.dimensions - cFirstBatch;
  if (batchDims < 0 || batchDims > cBatchDims)
    return fail(std::string(name) + " has an unexpected rank");
  int64_t offset = 0;
  if (!axisOf(buffer, layout.rows, rows, name, out.rowStride, offset) ||
      !axisOf(buffer, layout.cols, cols, name, out.colStride, offset))
    return false;
  out.batchStride.assign(static_cast<size_t>(cBatchDims), 0);
  for (int j = 0; j < batchDims; ++j) {
    const HalideDimension &have = buffer.dim[layout.firstBatch + j];
    const HalideDimension &need = c.dim[cFirstBatch + j];
    if (have.extent == 1 && need.extent != 1)
      continue; // broadcast: its one element
    if (have.min > need.min || have.min + int64_t(have.extent) < need.min + int64_t(need.extent))
      return fail(std::string(name) + " does not hold the batch read");
    offset += int64_t(need.min - have.min) * have.stride;
    out.batchStride[j] = have.stride;
  }
  out.base = reinterpret_cast<float *>(buffer.host) + offset;
  return true;
}

/// The leading dimension and transpose flag CBLAS takes for `m` (row-major).
/// (A stride that only one row or column ever steps over is free.)
bool blasLayout(const Matrix &m, int64_t rows, int64_t cols, int &trans, int &ld) {
  int64_t leading = 0;
  if (m.colStride == 1 || cols == 1) {
    trans = kNoTrans;
    leading = rows == 1 ? std::max<int64_t>(cols, 1) : m.rowStride;
    if (leading < std::max<int64_t>(cols, 1))
      return false;
  } else if (m.rowStride == 1 || rows == 1) {
    trans = kTrans; // stored as the transpose: cols x rows, row-major
    leading = cols == 1 ? std::max<int64_t>(rows, 1) : m.colStride;
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

/// States the region of a queried operand (it has its layout's batch dims
/// as c's): each axis like its Extent.
void query(HalideBuffer &operand, const Layout &layout, const Extent &rows, const Extent &cols,
           const HalideBuffer &c, int cFirstBatch) {
  for (int j = 0; layout.firstBatch + j < operand.dimensions && cFirstBatch + j < c.dimensions; ++j)
    operand.dim[layout.firstBatch + j].min = c.dim[cFirstBatch + j].min,
                                 operand.dim[layout.firstBatch + j].extent = c.dim[cFirstBatch + j].extent;
  for (auto [axis, want] : {std::pair{layout.rows, rows}, std::pair{layout.cols, cols}}) {
    for (int d = 0; d < axis.count; ++d) {
      HalideDimension &dim = operand.dim[axis.first + d];
      if (want.ref) {
        dim.min = want.ref->dim[want.refAxis.first + d].min;
        dim.extent = want.ref->dim[want.refAxis.first + d].extent;
      } else {
        dim.min = 0;
        dim.extent = static_cast<int32_t>(want.depth);
      }
    }
  }
}

/// Packings of constant operands (kMatmulConstantB), keyed by where the
/// operand lives and how it is read; at most kMaxPackedBytes in all (past
/// that, products pack per call as for any operand).
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

/// The packing of the constant b (k x n), made on first use; null if it
/// cannot be had.
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

int matmulF32(void *userContext, HalideBuffer *a, HalideBuffer *b, int32_t flags, int32_t depth,
              HalideBuffer *c) {
  bool transA = flags & kMatmulTransA, transB = flags & kMatmulTransB,
       collapseA = flags & kMatmulCollapseA, collapseColumns = flags & kMatmulCollapseColumns;
  const int width = collapseColumns ? 2 : 1; // c's dims that are its columns
  const int cFirstBatch = width + 1;
  if (transB && collapseColumns)
    return failed("transposed b with collapsed columns");
  if (c->dimensions < cFirstBatch || (collapseA && a->dimensions < 2))
    return failed("operands of unexpected ranks");
  const Axis cRows{width, 1}, cCols{0, width};
  Layout aLayout = transA ? Layout{{0, 1}, {1, 1}, 2} : Layout{{1, 1}, {0, 1}, 2};
  if (collapseA)
    aLayout = Layout{{a->dimensions - 1, 1}, {0, a->dimensions - 1}, a->dimensions};
  Layout bLayout = transB ? Layout{{0, 1}, {1, 1}, 2} : Layout{{width, 1}, {0, width}, width + 1};
  const Extent overM{c, cRows, 0}, overN{c, cCols, 0}, overK{nullptr, {}, depth};
  if (!c->host) { // a bounds query
    if (!a->host)
      query(*a, aLayout, overM, overK, *c, cFirstBatch);
    if (!b->host)
      query(*b, bLayout, overK, overN, *c, cFirstBatch);
    return 0;
  }
  if (c->type.code != 2 || c->type.bits != 32)
    return failed("the result is not f32");
  int64_t rows = c->dim[width].extent, cols = 1, k = depth;
  for (int d = 0; d < width; ++d)
    cols *= c->dim[d].extent;
  int64_t cRowStride = 0, cColStride = 0, cOffset = 0;
  if (!axisOf(*c, cCols, overN, "the result", cColStride, cOffset) ||
      !axisOf(*c, cRows, overM, "the result", cRowStride, cOffset))
    return -1;
  if (cColStride != 1 && cols > 1)
    return failed("the result's rows are not dense");
  Matrix am, bm;
  if (!matrix(*a, aLayout, overM, overK, *c, cFirstBatch, "a", am) ||
      !matrix(*b, bLayout, overK, overN, *c, cFirstBatch, "b", bm))
    return -1;
  Matrix cm;
  cm.base = reinterpret_cast<float *>(c->host);
  cm.rowStride = cRowStride;
  cm.colStride = 1;
  // Batch dims, innermost first; those where b is broadcast and a and c
  // continue their rows fold into the rows (x[B,S,D] @ w[D,F] is one GEMM).
  std::vector<int64_t> extents, aStride, bStride, cStride;
  bool folding = true;
  for (int d = cFirstBatch; d < c->dimensions; ++d) {
    int64_t extent = c->dim[d].extent, as = am.batchStride[d - cFirstBatch],
            bs = bm.batchStride[d - cFirstBatch];
    if (folding && bs == 0 && as == rows * am.rowStride && am.colStride == 1 &&
        c->dim[d].stride == rows * cm.rowStride) {
      rows *= extent;
      continue;
    }
    folding = false;
    extents.push_back(extent);
    aStride.push_back(as);
    bStride.push_back(bs);
    cStride.push_back(c->dim[d].stride);
  }
  int64_t batches = 1;
  for (int64_t e : extents)
    batches *= e;
  if (rows == 0 || cols == 0 || batches == 0)
    return 0;
  auto *pool = static_cast<ThreadPool *>(userContext);
  int threads = pool ? pool->threads() : 1;
  // Element offsets of batch `batch` in a, b and c.
  auto offsets = [&](int64_t batch, int64_t &aOff, int64_t &bOff, int64_t &cOff) {
    aOff = bOff = cOff = 0;
    for (size_t d = 0; d < extents.size(); ++d) {
      int64_t i = batch % extents[d];
      batch /= extents[d];
      aOff += i * aStride[d], bOff += i * bStride[d], cOff += i * cStride[d];
    }
  };
  // dlc's own kernel (native/Gemm.h) where both operands read along their
  // rows, except for large products in every dimension, where OpenBLAS's
  // cache blocking wins (measured: 1024^3 12.4 vs 13.9 ms; 512^3 even;
  // the convolution shapes 64x576x3136 1.50 vs 1.91 ms, 512x4608x49 1.71
  // vs 1.86, 1024x1024x64 0.77 vs 0.97). DLC_GEMM=openblas: OpenBLAS only.
  static const bool ownKernel = [] {
    const char *choice = std::getenv("DLC_GEMM");
    return hasGemmKernel() && !(choice && std::string(choice) == "openblas");
  }();
  bool large = rows >= 768 && cols >= 768 && k >= 768;
  // Runs product(aOff, bOff, cOff, pool) per batch: batches over the pool
  // when there are enough, else each product over it. False if one failed.
  auto eachBatch = [&](auto product) {
    std::atomic<bool> ok{true};
    auto one = [&](int64_t batch, ThreadPool *inner) {
      int64_t aOff, bOff, cOff;
      offsets(batch, aOff, bOff, cOff);
      if (!product(aOff, bOff, cOff, inner))
        ok = false;
    };
    if (pool && batches >= threads)
      pool->parallelFor(batches, 1, [&](int64_t begin, int64_t end) {
        for (int64_t batch = begin; batch < end; ++batch)
          one(batch, nullptr);
      });
    else
      for (int64_t batch = 0; batch < batches; ++batch)
        one(batch, pool);
    return ok.load();
  };
  // A weight: packed once (any strides), every batch reads the packing.
  bool sameB = std::all_of(bStride.begin(), bStride.end(), [](int64_t s) { return s == 0; });
  if ((flags & kMatmulConstantB) && ownKernel && !large && sameB && k > 0 &&
      (am.colStride == 1 || k <= 1) && cm.rowStride >= cols) {
    if (std::shared_ptr<const PackedB> packed =
            packedConstant(bm.base, bm.rowStride, cols <= 1 ? 1 : bm.colStride, k, cols))
      if (eachBatch([&](int64_t aOff, int64_t, int64_t cOff, ThreadPool *inner) {
            return gemmF32(rows, am.base + aOff, std::max<int64_t>(am.rowStride, k), *packed,
                           cm.base + cOff, cm.rowStride, inner);
          }))
        return 0;
  }
  if (ownKernel && !large && (am.colStride == 1 || k <= 1) && (bm.colStride == 1 || cols <= 1) &&
      cm.rowStride >= cols) {
    if (eachBatch([&](int64_t aOff, int64_t bOff, int64_t cOff, ThreadPool *inner) {
          return gemmF32(rows, cols, k, am.base + aOff, std::max<int64_t>(am.rowStride, k),
                         bm.base + bOff, std::max<int64_t>(bm.rowStride, cols), cm.base + cOff,
                         cm.rowStride, inner);
        }))
      return 0;
  }
  std::string why;
  Sgemm sgemm = loadSgemm(why);
  if (!sgemm)
    return failed(why);
  if (rows > INT32_MAX || cols > INT32_MAX || k > INT32_MAX)
    return failed("a matrix too large for int32 sizes");
  int transAFlag = 0, lda = 0, transBFlag = 0, ldb = 0;
  if (!blasLayout(am, rows, k, transAFlag, lda) || !blasLayout(bm, k, cols, transBFlag, ldb))
    return failed("an operand with strides sgemm cannot read");
  // Split each product into column (or row) blocks so that every thread of
  // the pool has work; blocks are whole vectors of columns.
  int64_t parts = 1;
  bool byColumns = cols >= rows;
  if (batches < threads && 2 * rows * cols * k >= (int64_t(1) << 21))
    parts = std::max<int64_t>(1, (threads + batches - 1) / batches);
  int64_t span = byColumns ? cols : rows, align = byColumns ? 16 : 4;
  int64_t block = ((span + parts - 1) / parts + align - 1) / align * align;
  parts = (span + block - 1) / block;
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      int64_t batch = task / parts, part = task % parts;
      int64_t aOff, bOff, cOff;
      offsets(batch, aOff, bOff, cOff);
      int64_t r0 = 0, r = rows, c0 = 0, n = cols;
      if (byColumns)
        c0 = part * block, n = std::min(block, cols - c0);
      else
        r0 = part * block, r = std::min(block, rows - r0);
      if (r <= 0 || n <= 0)
        continue;
      sgemm(kRowMajor, transAFlag, transBFlag, static_cast<int>(r), static_cast<int>(n),
            static_cast<int>(k), 1.0f, am.base + aOff + r0 * am.rowStride, lda,
            bm.base + bOff + c0 * bm.colStride, ldb, 0.0f,
            cm.base + cOff + r0 * cm.rowStride + c0, static_cast<int>(cm.rowStride));
    }
  };
  if (pool && batches * parts > 1)
    pool->parallelFor(batches * parts, 1, run);
  else
    run(0, batches * parts);
  return 0;
}

const UkernelTable &ukernels() {
  static const UkernelTable table = {matmulF32};
  return table;
}

} // namespace dlrt::native
