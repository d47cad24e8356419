//===- Dispatch.h - Typed element access and dtype dispatch ---*- C++ -*-===//
//
// Internal to the kernel library. Each element type has a storage type and
// conversions to the type its arithmetic runs in: floats compute in double
// (binary16 and bfloat16 through float, as they are stored), integers and
// bool in int64 (u64 keeps its bit pattern), so the reference kernels lose
// no precision. `dispatch` switches on the element type once per kernel
// call and hands the loop a tag whose static functions are inlined.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_DISPATCH_H
#define DLRT_KERNELS_DISPATCH_H

#include "kernels/ElementType.h"
#include "kernels/Half.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace dlrt::kernels {

template <typename Storage> struct FloatElement {
  using Type = Storage;
  static constexpr bool isFloat = true;
  static double load(const void *data, int64_t i) {
    return static_cast<double>(static_cast<const Storage *>(data)[i]);
  }
  static void store(void *data, int64_t i, double value) {
    static_cast<Storage *>(data)[i] = static_cast<Storage>(value);
  }
};

template <float (*ToFloat)(uint16_t), uint16_t (*FromFloat)(float)>
struct HalfElement {
  using Type = uint16_t;
  static constexpr bool isFloat = true;
  static double load(const void *data, int64_t i) {
    return ToFloat(static_cast<const uint16_t *>(data)[i]);
  }
  static void store(void *data, int64_t i, double value) {
    static_cast<uint16_t *>(data)[i] = FromFloat(static_cast<float>(value));
  }
};

template <typename Storage> struct IntElement {
  using Type = Storage;
  static constexpr bool isFloat = false;
  static int64_t load(const void *data, int64_t i) {
    return static_cast<int64_t>(static_cast<const Storage *>(data)[i]);
  }
  /// Narrower integers keep the low bits (two's complement wrap).
  static void store(void *data, int64_t i, int64_t value) {
    static_cast<Storage *>(data)[i] = static_cast<Storage>(value);
  }
};

struct BoolElement {
  using Type = uint8_t;
  static constexpr bool isFloat = false;
  static int64_t load(const void *data, int64_t i) {
    return static_cast<const uint8_t *>(data)[i] ? 1 : 0;
  }
  static void store(void *data, int64_t i, int64_t value) {
    static_cast<uint8_t *>(data)[i] = value != 0;
  }
};

// Integer arithmetic wraps in two's complement, as ONNX Runtime and numpy
// do (signed overflow in C++ is undefined behaviour): compute in uint64_t.
inline int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
inline int64_t wrapNeg(int64_t a) { return wrapSub(0, a); }

/// Row-major strides (in elements) of dims.
inline std::vector<int64_t> rowMajorStrides(const int64_t *dims, int32_t rank) {
  std::vector<int64_t> strides(rank, 1);
  for (int32_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * dims[d + 1];
  return strides;
}

/// double to int64 without undefined behaviour: NaN gives 0, out-of-range
/// values saturate.
inline int64_t saturatingInt64(double value) {
  if (std::isnan(value))
    return 0;
  if (value >= 9.2233720368547758e18)
    return INT64_MAX;
  if (value <= -9.2233720368547758e18)
    return INT64_MIN;
  return static_cast<int64_t>(value);
}

/// Calls fn(Element{}) with the element traits of `type`.
template <typename Fn> decltype(auto) dispatch(ElementType type, Fn &&fn) {
  switch (type) {
  case ElementType::F32: return fn(FloatElement<float>{});
  case ElementType::F64: return fn(FloatElement<double>{});
  case ElementType::F16: return fn(HalfElement<halfToFloat, floatToHalf>{});
  case ElementType::BF16: return fn(HalfElement<bfloat16ToFloat, floatToBFloat16>{});
  case ElementType::I8: return fn(IntElement<int8_t>{});
  case ElementType::I16: return fn(IntElement<int16_t>{});
  case ElementType::I32: return fn(IntElement<int32_t>{});
  case ElementType::I64: return fn(IntElement<int64_t>{});
  case ElementType::U8: return fn(IntElement<uint8_t>{});
  case ElementType::U16: return fn(IntElement<uint16_t>{});
  case ElementType::U32: return fn(IntElement<uint32_t>{});
  case ElementType::U64: return fn(IntElement<uint64_t>{});
  case ElementType::Bool: break;
  }
  return fn(BoolElement{});
}

/// All elements of x as double (u64 as unsigned): the way kernels that
/// compute in double over a copy read their inputs, with one dispatch.
inline std::vector<double> loadAsDouble(const BufferView &x) {
  std::vector<double> values(x.numElements());
  bool unsigned64 = x.type == ElementType::U64;
  dispatch(x.type, [&](auto element) {
    using E = decltype(element);
    for (size_t i = 0; i < values.size(); ++i) {
      auto v = E::load(x.data, int64_t(i));
      values[i] = unsigned64 ? static_cast<double>(static_cast<uint64_t>(v))
                             : static_cast<double>(v);
    }
  });
  return values;
}

/// Stores doubles into out's element type (integers truncate toward zero
/// and saturate, NaN gives 0; bool tests != 0).
inline void storeFromDouble(const std::vector<double> &values, const BufferView &out) {
  dispatch(out.type, [&](auto element) {
    using E = decltype(element);
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (E::isFloat)
        E::store(out.data, int64_t(i), values[i]);
      else if constexpr (std::is_same_v<E, BoolElement>)
        E::store(out.data, int64_t(i), values[i] != 0);
      else
        E::store(out.data, int64_t(i), saturatingInt64(values[i]));
    }
  });
}

/// Whether each operand broadcasts to `out` (numpy rules: right-aligned,
/// each dim equal or 1): what BroadcastWalk needs.
inline bool broadcastsTo(const BufferView &out,
                         std::initializer_list<const BufferView *> operands) {
  for (const BufferView *operand : operands) {
    if (operand->rank > out.rank)
      return false;
    for (int32_t d = 0; d < operand->rank; ++d) {
      int64_t size = operand->dims[d], target = out.dims[d + out.rank - operand->rank];
      if (size != target && size != 1)
        return false;
    }
  }
  return true;
}

/// Walks the row-major index space of `out` and keeps, for each operand,
/// its flat offset under numpy broadcasting (stride 0 along broadcast dims).
class BroadcastWalk {
public:
  BroadcastWalk(const BufferView &out, std::initializer_list<const BufferView *> operands)
      : rank_(out.rank), dims_(out.dims, out.dims + out.rank),
        index_(out.rank, 0), offsets_(operands.size(), 0) {
    for (const BufferView *operand : operands) {
      std::vector<int64_t> strides(rank_, 0);
      int64_t stride = 1;
      for (int32_t d = operand->rank - 1; d >= 0; --d) {
        int32_t o = d + (rank_ - operand->rank);
        strides[o] = operand->dims[d] == 1 ? 0 : stride;
        stride *= operand->dims[d];
      }
      strides_.push_back(std::move(strides));
    }
  }

  const std::vector<int64_t> &offsets() const { return offsets_; }

  /// Moves to the next output element.
  void next() {
    for (int32_t d = rank_ - 1; d >= 0; --d) {
      for (size_t i = 0; i < offsets_.size(); ++i)
        offsets_[i] += strides_[i][d];
      if (++index_[d] < dims_[d])
        return;
      for (size_t i = 0; i < offsets_.size(); ++i)
        offsets_[i] -= strides_[i][d] * dims_[d];
      index_[d] = 0;
    }
  }

private:
  int32_t rank_;
  std::vector<int64_t> dims_, index_, offsets_;
  std::vector<std::vector<int64_t>> strides_;
};

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_DISPATCH_H
