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

} // namespace dlrt::kernels
