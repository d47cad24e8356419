//===- Attribute.h - Compile-time node attributes -------------*- C++ -*-===//
//
// An attribute is one of: int, float, string, int list, float list, tensor or
// graph. Graph attributes are how nodes own nested graphs (the regions of
// `if` and `loop`); a node owns its graph attributes exclusively, so
// Attribute is move-only. Tensor payloads are shared and immutable.
//
//===----------------------------------------------------------------------===//

#ifndef DLC_IR_ATTRIBUTE_H
#define DLC_IR_ATTRIBUTE_H

#include "ir/Tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dlc {

class Graph;

enum class AttrKind : uint8_t { Int, Float, String, Ints, Floats, Tensor, Graph };

/// `int`, `float`, `string`, `ints`, `floats`, `tensor`, `graph`.
std::string_view attrKindName(AttrKind kind);

class Attribute {
public:
  Attribute(int64_t value) : value_(value) {}
  Attribute(int value) : value_(int64_t(value)) {}
  Attribute(double value) : value_(value) {}
  Attribute(std::string value) : value_(std::move(value)) {}
  Attribute(const char *value) : value_(std::string(value)) {}
  Attribute(std::vector<int64_t> value) : value_(std::move(value)) {}
  Attribute(std::vector<double> value) : value_(std::move(value)) {}
  Attribute(std::shared_ptr<const Tensor> value);
  Attribute(std::unique_ptr<Graph> value);
  Attribute(Attribute &&) noexcept;
  Attribute &operator=(Attribute &&) noexcept;
  ~Attribute();

  AttrKind kind() const { return static_cast<AttrKind>(value_.index()); }

  /// Same kind and value: tensors by type and bytes, floats bit for bit
  /// (so NaN equals itself), graphs only if they are the same graph.
  bool sameValue(const Attribute &other) const;

  int64_t getInt() const { return std::get<int64_t>(value_); }
  double getFloat() const { return std::get<double>(value_); }
  const std::string &getString() const { return std::get<std::string>(value_); }
  const std::vector<int64_t> &getInts() const {
    return std::get<std::vector<int64_t>>(value_);
  }
  const std::vector<double> &getFloats() const {
    return std::get<std::vector<double>>(value_);
  }
  const Tensor &getTensor() const {
    return *std::get<std::shared_ptr<const Tensor>>(value_);
  }
  const std::shared_ptr<const Tensor> &getTensorPtr() const {
    return std::get<std::shared_ptr<const Tensor>>(value_);
  }
  Graph &getGraph() const { return *std::get<std::unique_ptr<Graph>>(value_); }

private:
  // The index order matches AttrKind.
  std::variant<int64_t, double, std::string, std::vector<int64_t>,
               std::vector<double>, std::shared_ptr<const Tensor>,
               std::unique_ptr<Graph>>
      value_;
};

} // namespace dlc

#endif // DLC_IR_ATTRIBUTE_H
