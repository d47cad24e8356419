//===- Linalg.cpp - Reference kernels of matmul and gemm ------------------===//

#include "kernels/Linalg.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"
#include "threading/ThreadPool.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlrt::kernels {
namespace {

/// matmul's operands as matrices: 1-D ones promoted, batch dims broadcast.
struct MatmulShape {
  std::vector<int64_t> batch, aBatch, bBatch, out;
  int64_t m = 0, k = 0, n = 0;
};

Status matmulShape(const BufferView &a, const BufferView &b, MatmulShape &shape) {
  if (a.rank < 1 || b.rank < 1)
    return Status::error("matmul: an operand is a scalar");
  std::vector<int64_t> as(a.dims, a.dims + a.rank), bs(b.dims, b.dims + b.rank);
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  shape.m = as[as.size() - 2];
  shape.k = as.back();
  shape.n = bs.back();
  if (bs[bs.size() - 2] != shape.k)
    return Status::error("matmul contraction dims differ at run time: " +
                         std::to_string(shape.k) + " and " + std::to_string(bs[bs.size() - 2]));
  // The batch dims broadcast: a's and b's matrix for each output matrix.
  int32_t batchRank = static_cast<int32_t>(std::max(as.size(), bs.size())) - 2;
  shape.batch.assign(batchRank, 0);
  shape.aBatch.assign(as.begin(), as.end() - 2);
  shape.bBatch.assign(bs.begin(), bs.end() - 2);
  for (int32_t d = 0; d < batchRank; ++d) {
    int64_t ad = d - (batchRank - int32_t(shape.aBatch.size()));
    int64_t bd = d - (batchRank - int32_t(shape.bBatch.size()));
    int64_t x = ad >= 0 ? shape.aBatch[ad] : 1, y = bd >= 0 ? shape.bBatch[bd] : 1;
    if (x != y && x != 1 && y != 1)
      return Status::error("matmul: batch dims " + std::to_string(x) + " and " + std::to_string(y) +
                           " do not broadcast");
    shape.batch[d] = x == 1 ? y : x;
  }
  shape.out = shape.batch;
  if (a.rank > 1)
    shape.out.push_back(shape.m);
  if (b.rank > 1)
    shape.out.push_back(shape.n);
  return Status::ok();
}

} // namespace

Status matmulDims(const BufferView &a, const BufferView &b, std::vector<int64_t> &dims) {
  MatmulShape shape;
  Status status = matmulShape(a, b, shape);
  dims = shape.out;
  return status;
}

Status matmul(const BufferView &a, const BufferView &b, const BufferView &out,
              ThreadPool *pool) {
  MatmulShape shape;
  if (Status status = matmulShape(a, b, shape); !status.isOk())
    return status;
  if (Status status = expectDims(out, shape.out, "matmul", "the result"); !status.isOk())
    return status;
  std::vector<int64_t> &batch = shape.batch, &aBatch = shape.aBatch, &bBatch = shape.bBatch;
  int32_t batchRank = static_cast<int32_t>(batch.size());
  int64_t m = shape.m, k = shape.k, n = shape.n;
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

Status gemmDims(const GemmParams &params, const BufferView &a, const BufferView &b,
                std::vector<int64_t> &dims) {
  if (a.rank != 2 || b.rank != 2)
    return Status::error("gemm: the operands are not matrices");
  int64_t k = params.transA ? a.dims[0] : a.dims[1];
  if ((params.transB ? b.dims[1] : b.dims[0]) != k)
    return Status::error("gemm contraction dims differ at run time");
  dims = {params.transA ? a.dims[1] : a.dims[0], params.transB ? b.dims[0] : b.dims[1]};
  return Status::ok();
}

Status gemm(const GemmParams &params, const BufferView &a, const BufferView &b,
            const BufferView &c, const BufferView &out) {
  std::vector<int64_t> dims;
  if (Status status = gemmDims(params, a, b, dims); !status.isOk())
    return status;
  if (Status status = expectDims(out, dims, "gemm", "the result"); !status.isOk())
    return status;
  int64_t m = dims[0], n = dims[1], k = params.transA ? a.dims[0] : a.dims[1];
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

std::optional<EinsumLabels> parseEinsum(const std::string &equation,
                                  const std::vector<int64_t> &ranks,
                                  std::string &error) {
  std::string text;
  for (char c : equation)
    if (c != ' ')
      text += c;
  size_t arrow = text.find("->");
  std::string lhs = text.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (terms.size() != ranks.size()) {
    error = "equation has " + std::to_string(terms.size()) + " terms for " +
            std::to_string(ranks.size()) + " operands";
    return std::nullopt;
  }
  // Expand "..." into digit labels for the dims it covers.
  int64_t ellipsisRank = 0;
  auto expand = [&](const std::string &term, int64_t rank, std::string &out) {
    size_t dots = term.find("...");
    int64_t letters = static_cast<int64_t>(term.size()) - (dots == std::string::npos ? 0 : 3);
    if (dots == std::string::npos) {
      out = term;
      return letters == rank;
    }
    int64_t covered = rank - letters;
    if (covered < 0)
      return false;
    ellipsisRank = std::max(ellipsisRank, covered);
    std::string labels;
    for (int64_t i = 0; i < covered; ++i)
      labels += static_cast<char>('0' + (9 - covered + 1 + i));
    out = term.substr(0, dots) + labels + term.substr(dots + 3);
    return true;
  };
  EinsumLabels result;
  for (size_t i = 0; i < terms.size(); ++i) {
    std::string labels;
    if (!expand(terms[i], ranks[i], labels)) {
      error = "term '" + terms[i] + "' does not match operand " + std::to_string(i) +
              " of rank " + std::to_string(ranks[i]);
      return std::nullopt;
    }
    for (char c : labels)
      if (!std::isalnum(static_cast<unsigned char>(c))) {
        error = "bad label '" + std::string(1, c) + "'";
        return std::nullopt;
      }
    result.inputs.push_back(labels);
  }
  std::string ellipsis;
  for (int64_t i = 0; i < ellipsisRank; ++i)
    ellipsis += static_cast<char>('0' + (9 - ellipsisRank + 1 + i));
  if (arrow != std::string::npos) {
    std::string out = text.substr(arrow + 2);
    size_t dots = out.find("...");
    result.output = dots == std::string::npos
                        ? out
                        : out.substr(0, dots) + ellipsis + out.substr(dots + 3);
  } else {
    // Implicit output: ellipsis dims, then labels used once, alphabetically.
    std::map<char, int> uses;
    for (const std::string &labels : result.inputs)
      for (char c : labels)
        ++uses[c];
    result.output = ellipsis;
    for (const auto &[c, n] : uses)
      if (n == 1 && std::isalpha(static_cast<unsigned char>(c)))
        result.output += c;
  }
  return result;
}

namespace {

/// einsum's labels (the output's, then the others in order of appearance),
/// each label's size and the output's dims.
Status einsumShape(const EinsumParams &equation, const std::vector<BufferView> &inputs,
                   EinsumLabels &params, std::string &labels, std::map<char, int64_t> &size,
                   std::vector<int64_t> &outDims) {
  std::vector<int64_t> ranks;
  for (const BufferView &input : inputs)
    ranks.push_back(input.rank);
  std::string error;
  std::optional<EinsumLabels> parsed = parseEinsum(equation.equation, ranks, error);
  if (!parsed)
    return Status::error("einsum: " + error);
  params = std::move(*parsed);
  labels = params.output;
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
  for (size_t d = 0; d < params.output.size(); ++d) {
    if (params.output.find(params.output[d]) != d)
      return Status::error("einsum: the output repeats a label");
    outDims.push_back(size[params.output[d]]);
  }
  return Status::ok();
}

} // namespace

Status einsumDims(const EinsumParams &params, const std::vector<BufferView> &inputs,
                  std::vector<int64_t> &dims) {
  EinsumLabels labels;
  std::string order;
  std::map<char, int64_t> size;
  return einsumShape(params, inputs, labels, order, size, dims);
}

Status einsum(const EinsumParams &equation, const std::vector<BufferView> &inputs,
              const BufferView &out) {
  EinsumLabels params;
  std::string labels;
  std::map<char, int64_t> size;
  std::vector<int64_t> outDims;
  if (Status status = einsumShape(equation, inputs, params, labels, size, outDims);
      !status.isOk())
    return status;
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

Status detDims(const BufferView &x, std::vector<int64_t> &dims) {
  if (x.rank < 2)
    return Status::error("det: the input is not a stack of matrices");
  if (x.dims[x.rank - 2] != x.dims[x.rank - 1])
    return Status::error("matrices are not square at run time");
  dims.assign(x.dims, x.dims + x.rank - 2);
  return Status::ok();
}

Status det(const BufferView &x, const BufferView &out) {
  std::vector<int64_t> dims;
  if (Status status = detDims(x, dims); !status.isOk())
    return status;
  if (Status status = expectDims(out, dims, "det", "the result"); !status.isOk())
    return status;
  int64_t n = x.dims[x.rank - 1];
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
