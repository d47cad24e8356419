//===- Reduction.cpp - Reference kernels of the reduction ops -------------===//

#include "kernels/Reduction.h"

#include "kernels/Check.h"
#include "kernels/Dispatch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dlrt::kernels {
namespace {

/// Calls fn(base, stride, length) for every 1-D slice of x along `axis` (a
/// scalar is one slice of one element).
template <typename Fn> void forEachSlice(const BufferView &x, int64_t axis, Fn fn) {
  if (x.rank == 0) {
    fn(0, 1, 1);
    return;
  }
  std::vector<int64_t> strides = rowMajorStrides(x.dims, x.rank);
  int64_t length = x.dims[axis], stride = strides[axis];
  int64_t outer = 1, inner = stride;
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.dims[d];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      fn(o * length * stride + i, stride, length);
}

} // namespace

Status reduce(const ReduceParams &params, const BufferView &x, const BufferView &out) {
  // Each input element accumulates into the output element of its kept
  // index: strides over x's index space, 0 along reduced axes.
  std::vector<int64_t> kept(x.dims, x.dims + x.rank);
  for (int64_t axis : params.axes)
    kept[axis] = 1;
  std::vector<int64_t> strides(x.rank, 0);
  int64_t stride = 1;
  for (int32_t d = x.rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= kept[d];
  }
  for (int64_t axis : params.axes)
    strides[axis] = 0;
  int64_t n = x.numElements(), outCount = out.numElements();
  int64_t count = outCount ? n / outCount : 0;
  ReduceOp op = params.op;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    using Acc = std::conditional_t<E::isFloat, double, int64_t>;
    Acc init;
    if constexpr (E::isFloat) {
      init = op == ReduceOp::Max ? -INFINITY : op == ReduceOp::Min ? INFINITY
             : op == ReduceOp::Prod ? 1.0 : 0.0;
    } else {
      using T = typename E::Type;
      init = op == ReduceOp::Max ? int64_t(std::numeric_limits<T>::lowest())
             : op == ReduceOp::Min ? int64_t(std::numeric_limits<T>::max())
             : op == ReduceOp::Prod ? 1 : 0;
    }
    std::vector<Acc> acc(outCount, init);
    std::vector<int64_t> index(x.rank, 0);
    int64_t at = 0;
    for (int64_t i = 0; i < n; ++i) {
      Acc v = E::load(x.data, i);
      Acc &a = acc[at];
      switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Mean:
        if constexpr (E::isFloat) a += v; else a = wrapAdd(a, v);
        break;
      case ReduceOp::Prod:
        if constexpr (E::isFloat) a *= v; else a = wrapMul(a, v);
        break;
      case ReduceOp::Max:
        if constexpr (E::isFloat) a = std::isnan(v) || std::isnan(a) ? NAN : std::max(a, v);
        else a = std::max(a, v);
        break;
      case ReduceOp::Min:
        if constexpr (E::isFloat) a = std::isnan(v) || std::isnan(a) ? NAN : std::min(a, v);
        else a = std::min(a, v);
        break;
      }
      for (int32_t d = x.rank - 1; d >= 0; --d) { // next index of x
        at += strides[d];
        if (++index[d] < x.dims[d])
          break;
        at -= strides[d] * x.dims[d];
        index[d] = 0;
      }
    }
    for (int64_t i = 0; i < outCount; ++i) {
      Acc v = acc[i];
      if (op == ReduceOp::Mean)
        v = count ? v / static_cast<Acc>(count) : v;
      E::store(out.data, i, v);
    }
  });
  return Status::ok();
}

Status argReduce(const ArgReduceParams &params, const BufferView &x, const BufferView &out) {
  // One index per slice, keepdims or not.
  int64_t slices = 1;
  for (int32_t d = 0; d < x.rank; ++d)
    slices *= d == params.axis ? 1 : x.dims[d];
  if (Status status = expectElements(out, slices, "arg_reduce", "the result"); !status.isOk())
    return status;
  auto *result = static_cast<int64_t *>(out.data);
  int64_t linear = 0;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    forEachSlice(x, params.axis, [&](int64_t base, int64_t stride, int64_t length) {
      int64_t best = 0;
      for (int64_t i = 1; i < length; ++i) {
        auto v = E::load(x.data, base + i * stride);
        auto b = E::load(x.data, base + best * stride);
        bool better = params.isMax ? (v > b || (params.selectLastIndex && v == b))
                                   : (v < b || (params.selectLastIndex && v == b));
        if (better)
          best = i;
      }
      result[linear++] = best;
    });
  });
  return Status::ok();
}

Status softmax(const SoftmaxParams &params, const BufferView &x, const BufferView &out) {
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    if constexpr (E::isFloat) {
      if (x.rank == 0) {
        E::store(out.data, 0, params.log ? 0.0 : 1.0);
        return;
      }
      forEachSlice(x, params.axis, [&](int64_t base, int64_t stride, int64_t length) {
        double max = -INFINITY;
        for (int64_t i = 0; i < length; ++i)
          max = std::max(max, E::load(x.data, base + i * stride));
        double sum = 0;
        for (int64_t i = 0; i < length; ++i)
          sum += std::exp(E::load(x.data, base + i * stride) - max);
        for (int64_t i = 0; i < length; ++i) {
          double shifted = E::load(x.data, base + i * stride) - max;
          E::store(out.data, base + i * stride,
                   params.log ? shifted - std::log(sum) : std::exp(shifted) / sum);
        }
      });
    }
  });
  return isFloatType(x.type) ? Status::ok()
                             : Status::error("softmax needs a float tensor");
}

Status cumsum(const CumSumParams &params, const BufferView &x, const BufferView &out) {
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    using Acc = std::conditional_t<E::isFloat, double, int64_t>;
    forEachSlice(x, params.axis, [&](int64_t base, int64_t stride, int64_t length) {
      Acc sum = 0;
      for (int64_t n = 0; n < length; ++n) {
        int64_t at = base + (params.reverse ? length - 1 - n : n) * stride;
        if (params.exclusive)
          E::store(out.data, at, sum);
        if constexpr (E::isFloat) sum += E::load(x.data, at);
        else sum = wrapAdd(sum, E::load(x.data, at));
        if (!params.exclusive)
          E::store(out.data, at, sum);
      }
    });
  });
  return Status::ok();
}

} // namespace dlrt::kernels
