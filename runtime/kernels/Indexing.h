//===- Indexing.h - Reference kernels of the indexing ops ------*- C++ -*-===//
//
// gather, gather_elements, gather_nd, scatter_elements, scatter_nd, topk and
// nonzero with ONNX semantics. Indices are i32 or i64; negative indices
// count from the end; an index out of range is an error naming it.
// nonzero's output size depends on the data: count first, then fill a
// buffer of that size (how a host program sizes it).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_INDEXING_H
#define DLRT_KERNELS_INDEXING_H

#include "kernels/ElementType.h"

namespace dlrt::kernels {

/// out = x indexed along `axis` by indices (out dims: x dims with the axis
/// replaced by the indices' dims).
Status gather(int64_t axis, const BufferView &x, const BufferView &indices,
              const BufferView &out);

/// out[i] = x[i with its `axis` coordinate replaced by indices[i]].
Status gatherElements(int64_t axis, const BufferView &x, const BufferView &indices,
                      const BufferView &out);

/// out = slices of x at the index tuples in the last dim of indices, the
/// first `batchDims` dims shared.
Status gatherNd(int64_t batchDims, const BufferView &x, const BufferView &indices,
                const BufferView &out);

enum class ScatterReduction : uint8_t { None, Add, Mul, Max, Min };

/// out = x with updates written at the positions gather_elements reads.
Status scatterElements(int64_t axis, ScatterReduction reduction, const BufferView &x,
                       const BufferView &indices, const BufferView &updates,
                       const BufferView &out);

/// out = x with update slices written at the index tuples of indices.
Status scatterNd(ScatterReduction reduction, const BufferView &x,
                 const BufferView &indices, const BufferView &updates,
                 const BufferView &out);

struct TopKParams {
  int64_t axis{}; ///< normalized; k is the values output's size along it
  bool largest{};
  template <typename V> void fields(V &v) { v(axis)(largest); }
};

/// The k largest (or smallest) elements along the axis, sorted; ties keep
/// the lower index first.
Status topk(const TopKParams &params, const BufferView &x, const BufferView &values,
            const BufferView &indices);

/// How many elements of x are not zero: nonzero's output is [rank, count].
int64_t countNonZero(const BufferView &x);

/// out (i64 [rank, count]) = the indices of the non-zero elements, row-major.
Status nonzero(const BufferView &x, const BufferView &out);

/// compress: how many slices along the axis `condition` keeps (its true
/// entries among the first dims[axis]).
int64_t countCompressed(int64_t axisSize, const BufferView &condition);

/// out = the slices of x along `axis` whose condition is true (x is taken
/// flat, as one dim, when `flat`).
Status compress(int64_t axis, bool flat, const BufferView &x,
                const BufferView &condition, const BufferView &out);

/// x with the first lengths[b] steps along `timeAxis` reversed, for each
/// b along `batchAxis`.
Status reverseSequence(int64_t batchAxis, int64_t timeAxis, const BufferView &x,
                       const BufferView &lengths, const BufferView &out);

/// unique: how many distinct slices x has along `axis` (elements, when flat).
int64_t countUnique(int64_t axis, bool flat, const BufferView &x);

/// unique's four results: the distinct slices (in first-seen order, or
/// sorted), the index in x of each, the inverse map and the counts.
Status unique(int64_t axis, bool flat, bool sorted, const BufferView &x,
              const BufferView &y, const BufferView &indices, const BufferView &inverse,
              const BufferView &counts);

struct NmsParams {
  int64_t maxPerClass = 0;
  double iouThreshold = 0;
  bool hasScoreThreshold = false;
  double scoreThreshold = 0;
  bool centerPointBox = false;
  template <typename V> void fields(V &v) {
    v(maxPerClass)(iouThreshold)(hasScoreThreshold)(scoreThreshold)(centerPointBox);
  }
};

/// non_max_suppression: how many boxes it selects.
int64_t countNms(const NmsParams &params, const BufferView &boxes, const BufferView &scores);

/// out (i64 [count, 3]) = (batch, class, box) of each selected box.
Status nms(const NmsParams &params, const BufferView &boxes, const BufferView &scores,
           const BufferView &out);

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_INDEXING_H
