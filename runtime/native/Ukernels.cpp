//===- Ukernels.cpp - Library microkernels under generated kernels --------===//

#include "native/Ukernels.h"

#include "native/Conv.h"
#include "native/Matmul.h"
#include "native/Reduce.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace dlrt::native {

namespace {

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
  reportError("ukernel: " + message);
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

} // namespace

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
  MatmulOperands operands;
  operands.m = rows, operands.n = cols, operands.depth = k;
  operands.a = am.base, operands.b = bm.base, operands.c = cm.base;
  operands.aRowStride = am.rowStride, operands.aColStride = am.colStride;
  operands.bRowStride = bm.rowStride, operands.bColStride = bm.colStride;
  operands.ldc = cm.rowStride;
  // A weight is the same matrix in every batch: packed once.
  operands.constantB = (flags & kMatmulConstantB) &&
                       std::all_of(bStride.begin(), bStride.end(), [](int64_t s) { return s == 0; });
  // Batches over the pool when there are enough, else each product over it.
  std::atomic<bool> ok{true};
  std::string error;
  std::mutex errorMutex;
  auto one = [&](int64_t batch, ThreadPool *inner) {
    MatmulOperands p = operands;
    for (size_t d = 0; d < extents.size(); ++d) {
      int64_t i = batch % extents[d];
      batch /= extents[d];
      p.a += i * aStride[d], p.b += i * bStride[d], p.c += i * cStride[d];
    }
    std::string why;
    if (!native::matmulF32(p, inner, why)) {
      std::lock_guard<std::mutex> lock(errorMutex);
      ok = false;
      error = why;
    }
  };
  if (pool && batches >= threads)
    pool->parallelFor(batches, 1, [&](int64_t begin, int64_t end) {
      for (int64_t batch = begin; batch < end; ++batch)
        one(batch, nullptr);
    });
  else
    for (int64_t batch = 0; batch < batches && ok; ++batch)
      one(batch, pool);
  return ok ? 0 : failed(error);
}

namespace {

/// The offset of `buffer`'s element at `at` (one coordinate per dim), or
/// false where the buffer does not hold [at[d], at[d] + extent[d]) in
/// every dim.
bool holds(const HalideBuffer &buffer, const int64_t *at, const int64_t *extent, int64_t &offset) {
  offset = 0;
  for (int d = 0; d < buffer.dimensions; ++d) {
    const HalideDimension &dim = buffer.dim[d];
    if (at[d] < dim.min || at[d] + extent[d] > int64_t(dim.min) + dim.extent)
      return false;
    offset += (at[d] - dim.min) * int64_t(dim.stride);
  }
  return true;
}

} // namespace

int conv2dF32(void *userContext, HalideBuffer *x, HalideBuffer *w, int32_t kernelH,
              int32_t kernelW, int32_t strideH, int32_t strideW, int32_t padTop, int32_t padLeft,
              int32_t dilationH, int32_t dilationW, int32_t groups, int32_t channels,
              int32_t outChannels, int32_t height, int32_t width, HalideBuffer *c) {
  if (x->dimensions != 4 || w->dimensions != 4 || c->dimensions != 4)
    return failed("convolution operands of unexpected ranks");
  // Halide's dims are innermost first: x (w, h, c, n), w (kw, kh, c, m),
  // c (ow, oh, m, n).
  const HalideDimension *cd = c->dim;
  if (!c->host) { // a bounds query: the whole input and the weights' rows
    if (!x->host) {
      int64_t extent[4] = {width, height, int64_t(channels) * groups, cd[3].extent};
      int64_t min[4] = {0, 0, 0, cd[3].min};
      for (int d = 0; d < 4; ++d) {
        x->dim[d].min = static_cast<int32_t>(min[d]);
        x->dim[d].extent = static_cast<int32_t>(extent[d]);
      }
    }
    if (!w->host) {
      w->dim[0].min = w->dim[1].min = w->dim[2].min = 0;
      w->dim[0].extent = kernelW, w->dim[1].extent = kernelH, w->dim[2].extent = channels;
      w->dim[3].min = 0, w->dim[3].extent = outChannels;
    }
    return 0;
  }
  for (const HalideBuffer *b : {x, w, c})
    if (b->type.code != 2 || b->type.bits != 32)
      return failed("a convolution operand is not f32");
  Conv2dShape shape;
  shape.images = cd[3].extent, shape.groups = groups;
  shape.channels = channels, shape.height = height, shape.width = width;
  shape.outChannels = outChannels, shape.channel0 = cd[2].min,
  shape.channelCount = cd[2].extent;
  shape.outRow0 = cd[1].min, shape.outCol0 = cd[0].min;
  shape.outHeight = cd[1].extent, shape.outWidth = cd[0].extent;
  shape.kernelH = kernelH, shape.kernelW = kernelW, shape.strideH = strideH,
  shape.strideW = strideW, shape.dilationH = dilationH, shape.dilationW = dilationW;
  shape.padTop = padTop, shape.padLeft = padLeft;
  const HalideDimension *wd = w->dim;
  if (wd[3].min != 0 || wd[3].extent < outChannels || wd[0].min != 0 || wd[1].min != 0 ||
      wd[2].min != 0 || wd[0].extent != kernelW || wd[1].extent != kernelH || wd[2].extent != channels ||
      (wd[0].stride != 1 && kernelW > 1) || (wd[1].stride != kernelW && kernelH > 1) ||
      (wd[2].stride != kernelW * kernelH && wd[2].extent > 1))
    return failed("convolution weights that are not dense [M, C, kh, kw]");
  if (cd[0].stride != 1 && cd[0].extent > 1)
    return failed("a convolution result whose rows are not dense");
  if (cd[1].stride != cd[0].extent && cd[1].extent > 1)
    return failed("a convolution result whose positions are not dense");
  Conv2dOperands operands;
  int64_t at[4] = {0, 0, 0, cd[3].min}, extent[4] = {width, height, shape.channels * groups,
                                                     cd[3].extent};
  int64_t offset = 0;
  if (!holds(*x, at, extent, offset))
    return failed("a convolution input that does not hold the region read");
  operands.x = reinterpret_cast<const float *>(x->host) + offset;
  operands.colStride = x->dim[0].stride, operands.rowStride = x->dim[1].stride;
  operands.channelStride = x->dim[2].stride, operands.imageStride = x->dim[3].stride;
  operands.w = reinterpret_cast<const float *>(w->host);
  operands.ldw = wd[3].stride;
  operands.c = reinterpret_cast<float *>(c->host);
  operands.cChannelStride = cd[2].stride, operands.cImageStride = cd[3].stride;
  std::string error;
  if (!native::conv2dF32(shape, operands, static_cast<ThreadPool *>(userContext), error))
    return failed(error);
  return 0;
}

int reduceF32(void *userContext, HalideBuffer *x, int32_t kind, int32_t reduced, int32_t e0,
              int32_t e1, int32_t e2, HalideBuffer *c) {
  const int32_t extents[3] = {e0, e1, e2};
  if (reduced < 1 || reduced > 3 || c->dimensions < 1 || x->dimensions != c->dimensions + reduced)
    return failed("reduction operands of unexpected ranks");
  if (kind != static_cast<int32_t>(RunReduction::Sum) && kind != static_cast<int32_t>(RunReduction::Max))
    return failed("an unknown reduction");
  if (!c->host) { // a bounds query: the reduced dims whole, the others c's
    if (!x->host)
      for (int d = 0; d < x->dimensions; ++d) {
        x->dim[d].min = d < reduced ? 0 : c->dim[d - reduced].min;
        x->dim[d].extent = d < reduced ? extents[d] : c->dim[d - reduced].extent;
      }
    return 0;
  }
  if (x->type.code != 2 || x->type.bits != 32 || c->type.code != 2 || c->type.bits != 32)
    return failed("a reduction operand is not f32");
  for (int d = 0; d < c->dimensions; ++d)
    if (c->dim[d].extent <= 0)
      return 0; // (no result to compute)
  // The reduced dims are one dense run.
  int64_t length = 1;
  for (int d = 0; d < reduced; ++d) {
    if (extents[d] > 1 && x->dim[d].stride != length)
      return failed("a reduction over dims that are not dense");
    length *= extents[d];
  }
  std::vector<int64_t> at(x->dimensions, 0), extent(x->dimensions);
  for (int d = 0; d < x->dimensions; ++d) {
    at[d] = d < reduced ? 0 : c->dim[d - reduced].min;
    extent[d] = d < reduced ? extents[d] : c->dim[d - reduced].extent;
  }
  int64_t offset = 0;
  if (!holds(*x, at.data(), extent.data(), offset))
    return failed("a reduction input that does not hold the region read");
  if (c->dim[0].stride != 1 && c->dim[0].extent > 1)
    return failed("a reduction result whose rows are not dense");
  // c's innermost dim is one call's rows; its outer dims are walked here.
  const float *in = reinterpret_cast<const float *>(x->host) + offset;
  float *out = reinterpret_cast<float *>(c->host);
  int outer = c->dimensions - 1;
  std::vector<int64_t> index(outer, 0);
  for (;;) {
    int64_t inOffset = 0, outOffset = 0;
    for (int d = 0; d < outer; ++d) {
      inOffset += index[d] * x->dim[reduced + 1 + d].stride;
      outOffset += index[d] * c->dim[1 + d].stride;
    }
    native::reduceRunsF32(in + inOffset, c->dim[0].extent, x->dim[reduced].stride, length,
                          static_cast<RunReduction>(kind), out + outOffset,
                          static_cast<ThreadPool *>(userContext));
    int d = 0;
    for (; d < outer && ++index[d] == c->dim[1 + d].extent; ++d)
      index[d] = 0;
    if (d == outer)
      return 0;
  }
}

const UkernelTable &ukernels() {
  static const UkernelTable table = {matmulF32, conv2dF32, reduceF32};
  return table;
}

} // namespace dlrt::native
