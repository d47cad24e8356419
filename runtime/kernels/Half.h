//===- Half.h - binary16 and bfloat16 conversions --------------*- C++ -*-===//

#ifndef DLRT_KERNELS_HALF_H
#define DLRT_KERNELS_HALF_H

#include <cstdint>

namespace dlrt {

/// IEEE binary16 and bfloat16 conversions (round to nearest even; NaN stays
/// NaN). The one implementation in the repository.
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
float bfloat16ToFloat(uint16_t bits);
uint16_t floatToBFloat16(float value);

} // namespace dlrt

#endif // DLRT_KERNELS_HALF_H
