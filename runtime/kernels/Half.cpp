//===- Half.cpp - binary16 and bfloat16 conversions -----------------------===//

#include "kernels/Half.h"

#include <bit>
#include <cmath>

namespace dlrt {

float halfToFloat(uint16_t bits) {
  uint32_t sign = uint32_t(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  uint32_t out;
  if (exponent == 0x1f) { // inf / nan
    out = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) { // normal
    out = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) { // zero
    out = sign;
  } else { // subnormal: renormalize
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ff;
    out = sign | (uint32_t(113 - shift) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(out);
}

uint16_t floatToHalf(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  uint16_t sign = uint16_t((bits >> 16) & 0x8000);
  uint32_t absBits = bits & 0x7fffffff;
  if (absBits >= 0x7f800000) // inf or nan
    return sign | 0x7c00 | (absBits > 0x7f800000 ? 0x200 : 0);
  if (absBits >= 0x477ff000) // rounds to >= 65520: overflow to inf
    return sign | 0x7c00;
  if (absBits < 0x38800000) { // below the smallest normal half
    // Scale into the subnormal range and round to nearest even via float math.
    float scaled = std::bit_cast<float>(absBits) * 16777216.0f; // 2^24
    return sign | uint16_t(std::nearbyint(scaled));
  }
  uint32_t rounded = absBits + 0xfff + ((absBits >> 13) & 1);
  return sign | uint16_t((rounded - 0x38000000) >> 13);
}

float bfloat16ToFloat(uint16_t bits) {
  return std::bit_cast<float>(uint32_t(bits) << 16);
}

uint16_t floatToBFloat16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7fffffff) > 0x7f800000) // nan: keep it a quiet nan
    return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

} // namespace dlrt
