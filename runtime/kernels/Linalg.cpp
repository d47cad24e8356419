//===- Linalg.cpp - Reference kernels of matmul and gemm ------------------===//

#include "kernels/Linalg.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

namespace dlrt::kernels {
Status matmul(const BufferView &a, const BufferView &b, const BufferView &out,
              ThreadPool *pool) {
  if (a.rank < 1 || b.rank < 1)
    return Status::error("matmul: an operand is a scalar");
  std::vector<int64_t> as(a.dims, a.dims + a.rank), bs(b.dims, b.dims + b.rank);
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return Status::error("matmul contraction dims differ at run time: " +
                         std::to_string(k) + " and " + std::to_string(bs[bs.size() - 2]));
  // The batch dims broadcast: a's and b's matrix for each output matrix.
  int32_t batchRank = static_cast<int32_t>(std::max(as.size(), bs.size())) - 2;
  std::vector<int64_t> batch(batchRank), aBatch(as.begin(), as.end() - 2),
      bBatch(bs.begin(), bs.end() - 2);
  for (int32_t d = 0; d < batchRank; ++d) {
    int64_t ad = d - (batchRank - int32_t(aBatch.size()));
    int64_t bd = d - (batchRank - int32_t(bBatch.size()));
    int64_t x = ad >= 0 ? aBatch[ad] : 1, y = bd >= 0 ? bBatch[bd] : 1;
    if (x != y && x != 1 && y != 1)
      return Status::error("matmul: batch dims " + std::to_string(x) + " and " + std::to_string(y) +
                           " do not broadcast");
    batch[d] = x == 1 ? y : x;
  }
  std::vector<int64_t> outDims = batch;
  if (a.rank > 1)
    outDims.push_back(m);
  if (b.rank > 1)
    outDims.push_back(n);
  if (Status status = expectDims(out, outDims, "matmul", "the result"); !status.isOk())
    return status;
  BufferView batchOut{nullptr, out.type, batch.data(), batchRank};
  BufferView batchA{nullptr, a.type, aBatch.data(), int32_t(aBatch.size())};
  BufferView batchB{nullptr, b.type, bBatch.data(), int32_t(bBatch.size())};
  int64_t batches = batchOut.numElements();
  std::vector<int64_t> aMatrix(batches), bMatrix(batches);
  BroadcastWalk walk(batchOut, {&batchA, &batchB});
  for (int64_t t = 0; t < batches; ++t, walk.next()) {
    aMatrix[t] = walk.offsets()[0];
    bMatrix[t] = walk.offsets()[1];
  }
  dispatch(a.type, [&](auto element) {
    using E = decltype(element);
    // One task per range of output rows; each element is summed in order by
    // one thread, so the result does not depend on the thread count.
    auto rows = [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        int64_t t = row / m, i = row % m;
        int64_t baseA = aMatrix[t] * m * k, baseB = bMatrix[t] * k * n;
        for (int64_t j = 0; j < n; ++j) {
          std::conditional_t<E::isFloat, double, int64_t> sum = 0;
          for (int64_t p = 0; p < k; ++p) {
            auto x = E::load(a.data, baseA + i * k + p);
            auto y = E::load(b.data, baseB + p * n + j);
            if constexpr (E::isFloat) sum += x * y;
            else sum = wrapAdd(sum, wrapMul(x, y));
          }
          E::store(out.data, row * n + j, sum);
        }
      }
    };
    int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k));
    if (pool)
      pool->parallelFor(batches * m, grain, rows);
    else
      rows(0, batches * m);
  });
  return Status::ok();
}

Status gemm(const GemmParams &params, const BufferView &a, const BufferView &b,
            const BufferView &c, const BufferView &out) {
  if (a.rank != 2 || b.rank != 2)
    return Status::error("gemm: the operands are not matrices");
  int64_t m = params.transA ? a.dims[1] : a.dims[0], n = params.transB ? b.dims[0] : b.dims[1];
  int64_t k = params.transA ? a.dims[0] : a.dims[1];
  if ((params.transB ? b.dims[1] : b.dims[0]) != k)
    return Status::error("gemm contraction dims differ at run time");
  if (Status status = expectDims(out, {m, n}, "gemm", "the result"); !status.isOk())
    return status;
  if (c.data && !broadcastsTo(out, {&c}))
    return Status::error("gemm: c does not broadcast to the result");
  dispatch(a.type, [&](auto element) {
    using E = decltype(element);
    BroadcastWalk walk(out, {&c});
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j, walk.next()) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p)
          sum += static_cast<double>(E::load(a.data, params.transA ? p * m + i : i * k + p)) *
                 static_cast<double>(E::load(b.data, params.transB ? j * k + p : p * n + j));
        sum *= params.alpha;
        if (c.data)
          sum += params.beta * static_cast<double>(E::load(c.data, walk.offsets()[0]));
        if constexpr (E::isFloat)
          E::store(out.data, i * n + j, sum);
        else
          E::store(out.data, i * n + j, saturatingInt64(sum));
      }
  });
  return Status::ok();
}

Status einsum(const EinsumParams &params, const std::vector<BufferView> &inputs,
              const BufferView &out) {
  std::string labels = params.output;
  std::map<char, int64_t> size;
  if (params.inputs.size() != inputs.size())
    return Status::error("einsum: the equation does not match the operands");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (params.inputs[i].size() != static_cast<size_t>(inputs[i].rank))
      return Status::error("einsum: operand " + std::to_string(i) + " has rank " +
                           std::to_string(inputs[i].rank) + ", its term " +
                           std::to_string(params.inputs[i].size()) + " labels");
    for (size_t d = 0; d < params.inputs[i].size(); ++d) {
      char label = params.inputs[i][d];
      size[label] = std::max(size[label], inputs[i].dims[d]);
      if (labels.find(label) == std::string::npos)
        labels += label;
    }
  }
  // Every dim is its label's size or 1 (broadcast); the output has one
  // dim per distinct label, of its size.
  for (size_t i = 0; i < inputs.size(); ++i)
    for (size_t d = 0; d < params.inputs[i].size(); ++d)
      if (int64_t dim = inputs[i].dims[d]; dim != 1 && dim != size[params.inputs[i][d]])
        return Status::error(std::string("einsum: label '") + params.inputs[i][d] + "' has sizes " +
                             std::to_string(dim) + " and " +
                             std::to_string(size[params.inputs[i][d]]));
  std::vector<int64_t> outDims;
  for (size_t d = 0; d < params.output.size(); ++d) {
    if (params.output.find(params.output[d]) != d)
      return Status::error("einsum: the output repeats a label");
    outDims.push_back(size[params.output[d]]);
  }
  if (Status status = expectDims(out, outDims, "einsum", "the result"); !status.isOk())
    return status;
  std::vector<int64_t> space;
  for (char label : labels)
    space.push_back(size[label]);
  // Per operand, strides over `labels` (0 where absent or broadcast).
  std::vector<std::vector<int64_t>> strides;
  std::vector<std::vector<double>> values;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<int64_t> own = rowMajorStrides(inputs[i].dims, inputs[i].rank);
    std::vector<int64_t> s(labels.size(), 0);
    for (size_t d = 0; d < params.inputs[i].size(); ++d)
      if (inputs[i].dims[d] != 1)
        s[labels.find(params.inputs[i][d])] += own[d];
    strides.push_back(std::move(s));
    values.push_back(loadAsDouble(inputs[i]));
  }
  std::vector<int64_t> outStrides(labels.size(), 0);
  std::vector<int64_t> outOwn = rowMajorStrides(out.dims, out.rank);
  for (size_t d = 0; d < params.output.size(); ++d)
    outStrides[d] = outOwn[d];
  std::vector<double> acc(out.numElements(), 0.0);
  int64_t total = 1;
  for (int64_t n : space)
    total *= n;
  std::vector<int64_t> index(space.size(), 0);
  for (int64_t t = 0; t < total; ++t) {
    double product = 1;
    for (size_t i = 0; i < strides.size(); ++i) {
      int64_t offset = 0;
      for (size_t d = 0; d < index.size(); ++d)
        offset += index[d] * strides[i][d];
      product *= values[i][offset];
    }
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += index[d] * outStrides[d];
    acc[at] += product;
    for (int64_t d = int64_t(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < space[d])
        break;
      index[d] = 0;
    }
  }
  storeFromDouble(acc, out);
  return Status::ok();
}

Status det(const BufferView &x, const BufferView &out) {
  if (x.rank < 2)
    return Status::error("det: the input is not a stack of matrices");
  int64_t n = x.dims[x.rank - 1];
  if (x.dims[x.rank - 2] != n)
    return Status::error("matrices are not square at run time");
  if (Status status =
          expectDims(out, std::vector<int64_t>(x.dims, x.dims + x.rank - 2), "det", "the result");
      !status.isOk())
    return status;
  std::vector<double> all = loadAsDouble(x), result(out.numElements());
  for (int64_t m = 0; m < int64_t(result.size()); ++m) {
    std::vector<double> a(all.begin() + m * n * n, all.begin() + (m + 1) * n * n);
    double value = 1;
    for (int64_t col = 0; col < n && value != 0; ++col) {
      int64_t pivot = col;
      for (int64_t r = col + 1; r < n; ++r)
        if (std::fabs(a[r * n + col]) > std::fabs(a[pivot * n + col]))
          pivot = r;
      if (a[pivot * n + col] == 0) {
        value = 0;
        break;
      }
      if (pivot != col) {
        for (int64_t k = 0; k < n; ++k)
          std::swap(a[pivot * n + k], a[col * n + k]);
        value = -value;
      }
      value *= a[col * n + col];
      for (int64_t r = col + 1; r < n; ++r) {
        double factor = a[r * n + col] / a[col * n + col];
        for (int64_t k = col; k < n; ++k)
          a[r * n + k] -= factor * a[col * n + k];
      }
    }
    result[m] = value;
  }
  storeFromDouble(result, out);
  return Status::ok();
}

} // namespace dlrt::kernels
