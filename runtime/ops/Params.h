//===- Params.h - Encoding of op params structs ----------------*- C++ -*-===//
//
// An op's params struct (attributes, decoded once by the compiler, defaults
// applied) travels to the runtime as bytes. Every params struct lists its
// fields once, in `template <class V> void fields(V &v)`, and that one list
// serves both directions: ParamWriter appends each field, ParamReader reads
// them back in the same order. Reading is bounds-checked: bytes from an
// artifact decode to the struct or to an error, never past the end.
//
// Field kinds: bool, integers (8 bytes), enums (one byte), double,
// std::string, std::vector of any field kind (bytes as one block), and
// nested structs with fields(). The compiled program itself is written the
// same way (runtime/program/Program.h).
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_OPS_PARAMS_H
#define DLRT_OPS_PARAMS_H

#include "kernels/ElementType.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace dlrt::ops {

template <typename T> struct IsVector : std::false_type {};
template <typename T> struct IsVector<std::vector<T>> : std::true_type {};

class ParamWriter {
public:
  /// A writer that only counts the bytes it would write (see encodeParams).
  static ParamWriter counter() {
    ParamWriter w;
    w.counting_ = true;
    return w;
  }

  template <typename T> ParamWriter &operator()(const T &value) {
    if constexpr (std::is_enum_v<T> || std::is_same_v<T, bool>) {
      uint8_t byte = static_cast<uint8_t>(value);
      append(&byte, 1);
    } else if constexpr (std::is_integral_v<T>) {
      raw(static_cast<int64_t>(value));
    } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      raw(static_cast<double>(value));
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<uint8_t>>) {
      raw(static_cast<uint64_t>(value.size()));
      append(value.data(), value.size());
    } else if constexpr (IsVector<T>::value) {
      raw(static_cast<uint64_t>(value.size()));
      for (const auto &element : value)
        (*this)(element);
    } else {
      const_cast<T &>(value).fields(*this);
    }
    return *this;
  }

  /// Bytes written (or counted).
  size_t size() const { return counting_ ? counted_ : bytes_.size(); }
  void reserve(size_t bytes) { bytes_.reserve(bytes); }
  std::vector<uint8_t> take() { return std::move(bytes_); }

private:
  template <typename T> void raw(T value) {
    uint8_t buffer[sizeof(T)];
    std::memcpy(buffer, &value, sizeof(T));
    append(buffer, sizeof(T));
  }
  void append(const void *data, size_t size) {
    if (counting_) {
      counted_ += size;
    } else {
      const uint8_t *from = static_cast<const uint8_t *>(data);
      bytes_.insert(bytes_.end(), from, from + size);
    }
  }
  std::vector<uint8_t> bytes_;
  bool counting_ = false;
  size_t counted_ = 0;
};

class ParamReader {
public:
  ParamReader(const uint8_t *data, size_t size) : data_(data), size_(size) {}

  template <typename T> ParamReader &operator()(T &value) {
    if constexpr (std::is_enum_v<T> || std::is_same_v<T, bool>) {
      uint8_t byte = 0;
      if (take(&byte, 1))
        value = static_cast<T>(byte);
    } else if constexpr (std::is_integral_v<T>) {
      int64_t wide = 0;
      if (take(&wide, sizeof wide))
        value = static_cast<T>(wide);
    } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      double wide = 0;
      if (take(&wide, sizeof wide))
        value = static_cast<T>(wide);
    } else if constexpr (std::is_same_v<T, std::string>) {
      uint64_t n = 0;
      if (take(&n, sizeof n) && fits(n, 1)) {
        value.assign(reinterpret_cast<const char *>(data_ + offset_), n);
        offset_ += n;
      }
    } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
      uint64_t n = 0;
      if (take(&n, sizeof n) && fits(n, 1)) {
        value.assign(data_ + offset_, data_ + offset_ + n);
        offset_ += n;
      }
    } else if constexpr (IsVector<T>::value) {
      // Every element takes at least one byte: a count beyond what is left
      // is malformed, checked before anything is allocated.
      uint64_t n = 0;
      if (take(&n, sizeof n) && fits(n, 1)) {
        value.resize(n);
        for (auto &element : value)
          (*this)(element);
      }
    } else {
      value.fields(*this);
    }
    return *this;
  }

  /// ok() once every byte was read and nothing was missing.
  kernels::Status finish(std::string_view op) const {
    if (failed_ || offset_ != size_)
      return kernels::Status::error("malformed params of op '" + std::string(op) + "'");
    return kernels::Status::ok();
  }

private:
  bool fits(uint64_t count, size_t elementSize) {
    if (failed_ || count > (size_ - offset_) / elementSize) {
      failed_ = true;
      return false;
    }
    return true;
  }
  bool take(void *out, size_t n) {
    if (failed_ || size_ - offset_ < n) {
      failed_ = true;
      return false;
    }
    std::memcpy(out, data_ + offset_, n);
    offset_ += n;
    return true;
  }
  const uint8_t *data_;
  size_t size_, offset_ = 0;
  bool failed_ = false;
};

template <typename P> std::vector<uint8_t> encodeParams(const P &params) {
  // Counted first: a model's weights (hundreds of MB) are copied once, not
  // again at each doubling of the buffer.
  ParamWriter counter = ParamWriter::counter(), writer;
  counter(params);
  writer.reserve(counter.size());
  writer(params);
  return writer.take();
}

template <typename P>
kernels::Status decodeParams(P &params, const uint8_t *data, size_t size,
                             std::string_view op) {
  ParamReader reader(data, size);
  reader(params);
  return reader.finish(op);
}

} // namespace dlrt::ops

#endif // DLRT_OPS_PARAMS_H
