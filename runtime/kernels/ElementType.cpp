//===- ElementType.cpp - Element types ------------------------------------===//

#include "kernels/ElementType.h"

namespace dlrt::kernels {

bool isFloatType(ElementType type) {
  return type == ElementType::F32 || type == ElementType::F16 ||
         type == ElementType::BF16 || type == ElementType::F64;
}

size_t elementSize(ElementType type) {
  switch (type) {
  case ElementType::F64:
  case ElementType::I64:
  case ElementType::U64: return 8;
  case ElementType::F32:
  case ElementType::I32:
  case ElementType::U32: return 4;
  case ElementType::F16:
  case ElementType::BF16:
  case ElementType::I16:
  case ElementType::U16: return 2;
  case ElementType::I8:
  case ElementType::U8:
  case ElementType::Bool: return 1;
  }
  return 1;
}

const char *elementTypeName(ElementType type) {
  static const char *const names[] = {"f32", "f16", "bf16", "f64", "i8",  "i16", "i32",
                                      "i64", "u8",  "u16",  "u32", "u64", "bool"};
  size_t index = static_cast<size_t>(type);
  return index < sizeof names / sizeof *names ? names[index] : "?";
}

} // namespace dlrt::kernels
