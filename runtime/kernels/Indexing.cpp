//===- Indexing.cpp - Reference kernels of the indexing ops ---------------===//

#include "kernels/Indexing.h"

#include "kernels/DataMovement.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

namespace dlrt::kernels {
namespace {

/// The indices as int64, whatever their integer type.
std::vector<int64_t> loadIndices(const BufferView &indices) {
  std::vector<int64_t> values(indices.numElements());
  dispatch(indices.type, [&](auto element) {
    using E = decltype(element);
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (E::isFloat)
        values[i] = saturatingInt64(E::load(indices.data, int64_t(i)));
      else
        values[i] = E::load(indices.data, int64_t(i));
    }
  });
  return values;
}

/// Wraps a negative index; false if out of range.
bool wrapIndex(int64_t &value, int64_t size) {
  if (value < 0)
    value += size;
  return value >= 0 && value < size;
}

Status indexError(int64_t value, int64_t size) {
  return Status::error("index " + std::to_string(value) +
                       " is out of range for a dim of size " + std::to_string(size));
}

void copyElement(const BufferView &from, int64_t i, const BufferView &to, int64_t j) {
  size_t size = elementSize(from.type);
  std::memcpy(static_cast<uint8_t *>(to.data) + j * size,
              static_cast<const uint8_t *>(from.data) + i * size, size);
}

/// Copies x into out (scatter starts from the data).
void copyAll(const BufferView &x, const BufferView &out) {
  size_t bytes = size_t(x.numElements()) * elementSize(x.type);
  if (bytes && out.data != x.data) // an empty buffer may have no data at all
    std::memcpy(out.data, x.data, bytes);
}

/// out[at] (op)= updates[from].
void scatterInto(ScatterReduction reduction, const BufferView &out, int64_t at,
                 const BufferView &updates, int64_t from) {
  if (reduction == ScatterReduction::None) {
    copyElement(updates, from, out, at);
    return;
  }
  dispatch(out.type, [&](auto element) {
    using E = decltype(element);
    auto old = E::load(out.data, at), v = E::load(updates.data, from);
    decltype(old) result;
    switch (reduction) {
    case ScatterReduction::Add:
      if constexpr (E::isFloat) result = old + v; else result = wrapAdd(old, v);
      break;
    case ScatterReduction::Mul:
      if constexpr (E::isFloat) result = old * v; else result = wrapMul(old, v);
      break;
    case ScatterReduction::Max: result = std::max(old, v); break;
    default: result = std::min(old, v); break;
    }
    E::store(out.data, at, result);
  });
}

/// Calls fn(i, offset) for each element i of indices, with offset the flat
/// offset into x of i's coordinates with the axis one replaced by the index.
template <typename Fn>
Status forEachElementIndex(int64_t axis, const BufferView &x, const BufferView &indices,
                           Fn fn) {
  std::vector<int64_t> values = loadIndices(indices);
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank);
  std::vector<int64_t> index(indices.rank, 0);
  for (int64_t i = 0; i < int64_t(values.size()); ++i) {
    int64_t at = values[i];
    if (!wrapIndex(at, x.dims[axis]))
      return indexError(values[i], x.dims[axis]);
    int64_t offset = 0;
    for (int32_t d = 0; d < indices.rank; ++d)
      offset += (d == axis ? at : index[d]) * xStrides[d];
    fn(i, offset);
    for (int32_t d = indices.rank - 1; d >= 0; --d) {
      if (++index[d] < indices.dims[d])
        break;
      index[d] = 0;
    }
  }
  return Status::ok();
}

} // namespace

Status gather(int64_t axis, const BufferView &x, const BufferView &indices,
              const BufferView &out) {
  std::vector<int64_t> values = loadIndices(indices);
  // out index = [outer..., index position..., inner...]
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dims[d];
  for (int32_t d = static_cast<int32_t>(axis) + 1; d < x.rank; ++d)
    inner *= x.dims[d];
  int64_t count = static_cast<int64_t>(values.size()), linear = 0;
  if (outer == 0 || inner == 0)
    return Status::ok(); // nothing read, nothing checked
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = values[i];
      if (!wrapIndex(at, x.dims[axis]))
        return indexError(values[i], x.dims[axis]);
      for (int64_t j = 0; j < inner; ++j)
        copyElement(x, o * x.dims[axis] * inner + at * inner + j, out, linear++);
    }
  return Status::ok();
}

Status gatherElements(int64_t axis, const BufferView &x, const BufferView &indices,
                      const BufferView &out) {
  return forEachElementIndex(axis, x, indices, [&](int64_t i, int64_t offset) {
    copyElement(x, offset, out, i);
  });
}

Status gatherNd(int64_t batchDims, const BufferView &x, const BufferView &indices,
                const BufferView &out) {
  std::vector<int64_t> values = loadIndices(indices);
  std::vector<int64_t> dStrides = rowMajorStrides(x.dims, x.rank);
  int64_t k = indices.dims[indices.rank - 1];
  int64_t sliceSize = 1;
  for (int32_t d = static_cast<int32_t>(batchDims + k); d < x.rank; ++d)
    sliceSize *= x.dims[d];
  int64_t tuples = k ? static_cast<int64_t>(values.size()) / k : 0;
  int64_t perBatch = 1; // index tuples per batch entry
  for (int32_t d = static_cast<int32_t>(batchDims); d + 1 < indices.rank; ++d)
    perBatch *= indices.dims[d];
  int64_t batchStride = batchDims ? dStrides[batchDims - 1] : 0;
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = batchDims ? (t / perBatch) * batchStride : 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t at = values[t * k + j];
      if (!wrapIndex(at, x.dims[batchDims + j]))
        return indexError(values[t * k + j], x.dims[batchDims + j]);
      offset += at * dStrides[batchDims + j];
    }
    for (int64_t i = 0; i < sliceSize; ++i)
      copyElement(x, offset + i, out, t * sliceSize + i);
  }
  return Status::ok();
}

Status scatterElements(int64_t axis, ScatterReduction reduction, const BufferView &x,
                       const BufferView &indices, const BufferView &updates,
                       const BufferView &out) {
  copyAll(x, out);
  return forEachElementIndex(axis, x, indices, [&](int64_t i, int64_t offset) {
    scatterInto(reduction, out, offset, updates, i);
  });
}

Status scatterNd(ScatterReduction reduction, const BufferView &x,
                 const BufferView &indices, const BufferView &updates,
                 const BufferView &out) {
  copyAll(x, out);
  std::vector<int64_t> values = loadIndices(indices);
  std::vector<int64_t> xStrides = rowMajorStrides(x.dims, x.rank);
  int64_t depth = indices.dims[indices.rank - 1];
  int64_t count = depth ? static_cast<int64_t>(values.size()) / depth : 0;
  int64_t sliceSize = 1;
  for (int32_t d = static_cast<int32_t>(depth); d < x.rank; ++d)
    sliceSize *= x.dims[d];
  for (int64_t u = 0; u < count; ++u) {
    int64_t base = 0;
    for (int64_t d = 0; d < depth; ++d) {
      int64_t at = values[u * depth + d];
      if (!wrapIndex(at, x.dims[d]))
        return indexError(values[u * depth + d], x.dims[d]);
      base += at * xStrides[d];
    }
    for (int64_t i = 0; i < sliceSize; ++i)
      scatterInto(reduction, out, base + i, updates, u * sliceSize + i);
  }
  return Status::ok();
}

Status topk(const TopKParams &params, const BufferView &x, const BufferView &values,
            const BufferView &indices) {
  int64_t axis = params.axis, length = x.dims[axis], k = values.dims[axis];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dims[d];
  for (int32_t d = static_cast<int32_t>(axis) + 1; d < x.rank; ++d)
    inner *= x.dims[d];
  auto *where = static_cast<int64_t *>(indices.data);
  std::vector<int64_t> order(length);
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        int64_t base = o * length * inner + j, outBase = o * k * inner + j;
        std::iota(order.begin(), order.end(), 0);
        // Ties keep the lower index first, as ONNX specifies.
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
          auto va = E::load(x.data, base + a * inner);
          auto vb = E::load(x.data, base + b * inner);
          return params.largest ? va > vb : va < vb;
        });
        for (int64_t i = 0; i < k; ++i) {
          copyElement(x, base + order[i] * inner, values, outBase + i * inner);
          where[outBase + i * inner] = order[i];
        }
      }
  });
  return Status::ok();
}

int64_t countNonZero(const BufferView &x) {
  int64_t n = x.numElements(), count = 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t i = 0; i < n; ++i)
      count += E::load(x.data, i) != 0;
  });
  return count;
}

Status nonzero(const BufferView &x, const BufferView &out) {
  int64_t n = x.numElements(), count = out.rank == 2 ? out.dims[1] : 0;
  auto *result = static_cast<int64_t *>(out.data);
  std::vector<int64_t> index(x.rank, 0);
  int64_t found = 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (int64_t i = 0; i < n; ++i) {
      if (E::load(x.data, i) != 0) {
        if (found < count)
          for (int32_t d = 0; d < x.rank; ++d)
            result[d * count + found] = index[d];
        ++found;
      }
      for (int32_t d = x.rank - 1; d >= 0; --d) {
        if (++index[d] < x.dims[d])
          break;
        index[d] = 0;
      }
    }
  });
  if (found != count)
    return Status::error("nonzero found " + std::to_string(found) +
                         " elements, its output was sized for " + std::to_string(count));
  return Status::ok();
}

int64_t countCompressed(int64_t axisSize, const BufferView &condition) {
  std::vector<int64_t> keep = loadIndices(condition);
  int64_t count = 0;
  for (int64_t i = 0; i < std::min<int64_t>(axisSize, int64_t(keep.size())); ++i)
    count += keep[i] != 0;
  return count;
}

Status compress(int64_t axis, bool flat, const BufferView &x, const BufferView &condition,
                const BufferView &out) {
  std::vector<int64_t> xs(x.dims, x.dims + x.rank);
  if (flat)
    xs = {x.numElements()};
  std::vector<int64_t> keep = loadIndices(condition), kept;
  for (int64_t i = 0; i < std::min<int64_t>(xs[axis], int64_t(keep.size())); ++i)
    if (keep[i])
      kept.push_back(i);
  if (int64_t(kept.size()) != (flat ? out.numElements() : out.dims[axis]))
    return Status::error("compress output was sized for another count");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= xs[d];
  for (size_t d = axis + 1; d < xs.size(); ++d)
    inner *= xs[d];
  int64_t linear = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k : kept)
      for (int64_t j = 0; j < inner; ++j)
        copyElement(x, (o * xs[axis] + k) * inner + j, out, linear++);
  return Status::ok();
}

Status reverseSequence(int64_t batchAxis, int64_t timeAxis, const BufferView &x,
                       const BufferView &lengths, const BufferView &out) {
  std::vector<int64_t> lens = loadIndices(lengths);
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank), index(x.rank, 0);
  int64_t n = x.numElements();
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t length = std::clamp<int64_t>(lens[index[batchAxis]], 0, x.dims[timeAxis]);
    int64_t offset = 0;
    for (int32_t d = 0; d < x.rank; ++d) {
      int64_t i = index[d];
      if (d == timeAxis && i < length)
        i = length - 1 - i;
      offset += i * strides[d];
    }
    copyElement(x, offset, out, linear);
    for (int32_t d = x.rank - 1; d >= 0; --d) {
      if (++index[d] < x.dims[d])
        break;
      index[d] = 0;
    }
  }
  return Status::ok();
}

namespace {

/// The slices of x along `axis` as value lists, and the distinct ones.
struct UniqueAnalysis {
  std::vector<int64_t> xs;             ///< x's dims (one dim when flat)
  std::vector<std::vector<double>> slices;
  std::vector<int64_t> first;          ///< index of each distinct slice
  std::vector<int64_t> inverse;        ///< distinct slice of each slice

  UniqueAnalysis(int64_t axis, bool flat, const BufferView &x) {
    xs.assign(x.dims, x.dims + x.rank);
    if (flat)
      xs = {x.numElements()};
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= xs[d];
    for (size_t d = axis + 1; d < xs.size(); ++d)
      inner *= xs[d];
    int64_t count = xs[axis];
    slices.assign(count, {});
    dispatch(x.type, [&](auto element) {
      using E = decltype(element);
      for (int64_t i = 0; i < count; ++i)
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < inner; ++j)
            slices[i].push_back(static_cast<double>(
                E::load(x.data, (o * count + i) * inner + j)));
    });
    inverse.assign(count, 0);
    for (int64_t i = 0; i < count; ++i) {
      auto it = std::find_if(first.begin(), first.end(),
                             [&](int64_t f) { return slices[f] == slices[i]; });
      inverse[i] = it - first.begin();
      if (it == first.end())
        first.push_back(i);
    }
  }
};

} // namespace

int64_t countUnique(int64_t axis, bool flat, const BufferView &x) {
  return static_cast<int64_t>(UniqueAnalysis(axis, flat, x).first.size());
}

Status unique(int64_t axis, bool flat, bool sorted, const BufferView &x,
              const BufferView &y, const BufferView &indices, const BufferView &inverse,
              const BufferView &counts) {
  UniqueAnalysis analysis(axis, flat, x);
  const std::vector<int64_t> &xs = analysis.xs;
  int64_t distinct = static_cast<int64_t>(analysis.first.size()), count = xs[axis];
  if (indices.numElements() != distinct)
    return Status::error("unique outputs were sized for another count");
  std::vector<int64_t> order(distinct);
  std::iota(order.begin(), order.end(), 0);
  if (sorted)
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return analysis.slices[analysis.first[a]] < analysis.slices[analysis.first[b]];
    });
  std::vector<int64_t> rank(distinct);
  for (int64_t r = 0; r < distinct; ++r)
    rank[order[r]] = r;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= xs[d];
  for (size_t d = axis + 1; d < xs.size(); ++d)
    inner *= xs[d];
  auto *where = static_cast<int64_t *>(indices.data);
  auto *inv = static_cast<int64_t *>(inverse.data);
  auto *number = static_cast<int64_t *>(counts.data);
  for (int64_t r = 0; r < distinct; ++r) {
    int64_t source = analysis.first[order[r]];
    where[r] = source;
    number[r] = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j)
        copyElement(x, (o * count + source) * inner + j, y, (o * distinct + r) * inner + j);
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t r = rank[analysis.inverse[i]];
    inv[i] = r;
    ++number[r];
  }
  return Status::ok();
}

namespace {

/// The selected (batch, class, box) triples of non_max_suppression.
std::vector<std::array<int64_t, 3>> selectBoxes(const NmsParams &params,
                                                const BufferView &boxes,
                                                const BufferView &scores) {
  int64_t batches = scores.dims[0], classes = scores.dims[1], count = scores.dims[2];
  std::vector<double> box(boxes.numElements()), score(scores.numElements());
  dispatch(boxes.type, [&](auto element) {
    using E = decltype(element);
    for (size_t i = 0; i < box.size(); ++i)
      box[i] = static_cast<double>(E::load(boxes.data, int64_t(i)));
  });
  dispatch(scores.type, [&](auto element) {
    using E = decltype(element);
    for (size_t i = 0; i < score.size(); ++i)
      score[i] = static_cast<double>(E::load(scores.data, int64_t(i)));
  });
  // Corners (y1, x1, y2, x2) of box i of batch b, ordered.
  auto corners = [&](int64_t b, int64_t i) {
    const double *v = &box[(b * boxes.dims[1] + i) * 4];
    if (params.centerPointBox) // x_center, y_center, width, height
      return std::array<double, 4>{v[1] - v[3] / 2, v[0] - v[2] / 2, v[1] + v[3] / 2,
                                   v[0] + v[2] / 2};
    return std::array<double, 4>{std::min(v[0], v[2]), std::min(v[1], v[3]),
                                 std::max(v[0], v[2]), std::max(v[1], v[3])};
  };
  auto iou = [](const std::array<double, 4> &a, const std::array<double, 4> &c) {
    double h = std::max(0.0, std::min(a[2], c[2]) - std::max(a[0], c[0]));
    double w = std::max(0.0, std::min(a[3], c[3]) - std::max(a[1], c[1]));
    double inter = h * w;
    double areas = (a[2] - a[0]) * (a[3] - a[1]) + (c[2] - c[0]) * (c[3] - c[1]) - inter;
    return areas > 0 ? inter / areas : 0.0;
  };
  std::vector<std::array<int64_t, 3>> selected;
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t c = 0; c < classes; ++c) {
      const double *s = &score[(b * classes + c) * count];
      std::vector<int64_t> order;
      for (int64_t i = 0; i < count; ++i)
        if (!params.hasScoreThreshold || s[i] > params.scoreThreshold)
          order.push_back(i);
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t i, int64_t j) { return s[i] > s[j]; });
      std::vector<int64_t> kept;
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= params.maxPerClass)
          break;
        bool keep = true;
        for (int64_t k : kept)
          keep &= iou(corners(b, i), corners(b, k)) <= params.iouThreshold;
        if (keep) {
          kept.push_back(i);
          selected.push_back({b, c, i});
        }
      }
    }
  return selected;
}

} // namespace

int64_t countNms(const NmsParams &params, const BufferView &boxes, const BufferView &scores) {
  return static_cast<int64_t>(selectBoxes(params, boxes, scores).size());
}

Status nms(const NmsParams &params, const BufferView &boxes, const BufferView &scores,
           const BufferView &out) {
  std::vector<std::array<int64_t, 3>> selected = selectBoxes(params, boxes, scores);
  if (out.rank != 2 || out.dims[0] != int64_t(selected.size()))
    return Status::error("non_max_suppression output was sized for another count");
  auto *result = static_cast<int64_t *>(out.data);
  for (size_t i = 0; i < selected.size(); ++i)
    for (int k = 0; k < 3; ++k)
      result[3 * i + k] = selected[i][k];
  return Status::ok();
}

} // namespace dlrt::kernels
