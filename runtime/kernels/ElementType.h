//===- ElementType.h - Element types and buffer views ---------*- C++ -*-===//
//
// The kernel library's view of tensors: a dense row-major buffer of one
// element type with its dims. The runtime depends on nothing else in the
// repository, so these mirror the IR's dtypes rather than include them.
//
//===----------------------------------------------------------------------===//

#ifndef DLRT_KERNELS_ELEMENTTYPE_H
#define DLRT_KERNELS_ELEMENTTYPE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace dlrt::kernels {

/// Element types, in the IR's DType order.
enum class ElementType : uint8_t {
  F32, F16, BF16, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool
};

bool isFloatType(ElementType type);
/// Storage size of one element in bytes (bool is one byte).
size_t elementSize(ElementType type);
/// The IR's name of the type: "f32", "i64", "bool", ...
const char *elementTypeName(ElementType type);

/// A dense row-major tensor: data, element type, dims. The kernel library
/// never owns memory; callers allocate outputs of the right size.
struct BufferView {
  void *data = nullptr;
  ElementType type = ElementType::F32;
  const int64_t *dims = nullptr;
  int32_t rank = 0;

  int64_t numElements() const {
    int64_t n = 1;
    for (int32_t i = 0; i < rank; ++i)
      n *= dims[i];
    return n;
  }
};

/// A kernel's result: ok, or an error with a message (bad input at run
/// time, such as an integer division by zero). Kernels never throw.
class Status {
public:
  static Status ok() { return Status(); }
  static Status error(std::string message) {
    Status status;
    status.ok_ = false;
    status.message_ = std::move(message);
    return status;
  }
  bool isOk() const { return ok_; }
  const std::string &message() const { return message_; }

private:
  bool ok_ = true;
  std::string message_;
};

} // namespace dlrt::kernels

#endif // DLRT_KERNELS_ELEMENTTYPE_H
